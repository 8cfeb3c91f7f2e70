import { el } from '../shared/dom';
import { renderParallel, renderScatter } from './charts';
import { baselineSelect, notices, paramsHeading, paramsRows, stepInput, table } from './page';
import { paramsAsRows, shownParams } from './params';
import { host, save, view } from './state';
import { renderParamsTable, renderTable } from './table';
import { renderWhatChanged } from './whatChanged';

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
  paramsRows.checked = paramsAsRows(s);
  const shown = shownParams(s).length;
  paramsHeading.textContent = `Params (${shown === s.params.length ? shown : `${shown} of ${s.params.length}, only those that differ`})`;
  renderTable(s, render);
  renderParamsTable(s, render);
  renderParallel(s, render);
  renderScatter(s);
  renderWhatChanged(view.whatChanged, s);
  const cols = table.querySelectorAll('thead th').length;
  requestAnimationFrame(() => host.post({ type: 'rendered', rows: s.runs.length, columns: cols }));
}
