import { el } from '../shared/dom';
import { themedColor } from '../shared/theme';
import { refreshDatasets } from './lines';
import { legend, legendFilter, pickerPanel, runsButton } from './page';
import { host, saveState, state, view, views } from './state';

export function setHidden(refs: string[]): void {
  state.hidden = refs;
  saveState();
  renderLegend();
  for (const v of views.values()) refreshDatasets(v);
}

export function togglePicker(open = pickerPanel.hidden): void {
  pickerPanel.hidden = !open;
  runsButton.setAttribute('aria-expanded', String(open));
  if (open) pickerPanel.querySelector('input')?.focus();
}

export function renderPicker(): void {
  const s = view.snapshot;
  if (!s) return;
  runsButton.textContent = `Runs (${s.runs.length} of ${s.available.length})…`;
  const filter = el('input', { type: 'search', placeholder: 'Filter', 'aria-label': 'Filter runs to pick' });
  const list = el('ul', { 'aria-label': 'Runs' });
  const shown = new Set(s.runs.map((r) => r.ref));
  const boxes = s.available.map((r) => {
    const box = el('input', { type: 'checkbox', checked: shown.has(r.ref), value: r.ref });
    const sw = el('span', { class: 'swatch' });
    sw.style.background = themedColor(r.color, view.theme);
    const item = el(
      'li',
      {},
      el(
        'label',
        {},
        box,
        sw,
        `${r.name}`,
        el('span', { class: 'muted', text: `${r.experiment} · ${r.status}` }),
      ),
    );
    return { r, box, item };
  });
  list.append(...boxes.map((b) => b.item));
  filter.addEventListener('input', () => {
    const q = filter.value.toLowerCase();
    for (const b of boxes)
      b.item.hidden = !!q && !`${b.r.name} ${b.r.experiment} ${b.r.id}`.toLowerCase().includes(q);
  });
  const apply = el('button', { type: 'button', text: 'Show selected runs' });
  apply.addEventListener('click', () => {
    host.post({ type: 'selectRuns', refs: boxes.filter((b) => b.box.checked).map((b) => b.r.ref) });
    togglePicker(false);
    runsButton.focus();
  });
  const cancel = el('button', { type: 'button', text: 'Cancel' });
  cancel.addEventListener('click', () => {
    togglePicker(false);
    runsButton.focus();
  });
  pickerPanel.replaceChildren(filter, list, el('div', { class: 'toolbar' }, apply, cancel));
  pickerPanel.onkeydown = (e) => {
    if (e.key === 'Escape') cancel.click();
  };
}

export function renderLegend(): void {
  const runs = view.snapshot?.runs ?? [];
  const q = legendFilter.value.toLowerCase();
  legend.replaceChildren(
    ...runs
      .filter((r) => !q || r.label.toLowerCase().includes(q))
      .map((r) => {
        const visible = !state.hidden.includes(r.ref);
        const sw = el('span', { class: 'swatch' });
        sw.style.background = themedColor(r.color, view.theme);
        const b = el(
          'button',
          {
            type: 'button',
            'aria-pressed': String(visible),
            title: `${r.label}\n${r.experiment} · ${r.status} · ${r.id}`,
          },
          sw,
          el('span', { class: 'text', text: r.label }),
        );
        b.addEventListener('click', () =>
          setHidden(visible ? [...state.hidden, r.ref] : state.hidden.filter((h) => h !== r.ref)),
        );
        return el('li', {}, b);
      }),
  );
}
