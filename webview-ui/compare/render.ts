import { el } from '../shared/dom';
import { renderParallel, renderScatter } from './charts';
import { baselineSelect, notices, stepInput, table } from './page';
import { host, save, view } from './state';
import { renderTable } from './table';

/** Draw the last snapshot: options, table and both charts, then report the table size. */
export function render(): void {
  save();
  const s = view.snapshot;
  if (!s) return;
  notices.replaceChildren(...s.notices.map((t) => el('div', { text: t })));
  if (s.runs.length < 2) notices.append(el('div', { text: 'Select two or more runs to compare them.' }));
  baselineSelect.replaceChildren(
    el('option', { value: '', text: 'None' }),
    ...s.runs.map((r) => el('option', { value: r.ref, text: r.name })),
  );
  baselineSelect.value = s.baselineRef ?? '';
  stepInput.value = s.step === null ? '' : String(s.step);
  renderTable(s, render);
  renderParallel(s);
  renderScatter(s);
  const cols = table.querySelectorAll('thead th').length;
  requestAnimationFrame(() => host.post({ type: 'rendered', rows: s.runs.length, columns: cols }));
}
