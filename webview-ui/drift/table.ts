import type { DriftColumnView, DriftSnapshot, DriftSortKey } from '../../src/protocol/drift';
import { el, formatNumber } from '../shared/dom';
import { table } from './page';
import { state } from './state';

interface Col {
  key: DriftSortKey;
  label: string;
  numeric?: boolean;
  value(c: DriftColumnView): number | string | null;
  text(c: DriftColumnView): string;
}

const COLUMNS: Col[] = [
  { key: 'column', label: 'Column', value: (c) => c.column, text: (c) => c.column },
  { key: 'type', label: 'Type', value: (c) => c.type, text: (c) => c.type },
  { key: 'method', label: 'Test', value: (c) => c.method, text: (c) => c.method },
  {
    key: 'statistic',
    label: 'Statistic',
    numeric: true,
    value: (c) => c.statistic,
    text: (c) => (c.statistic === null ? '–' : formatNumber(c.statistic)),
  },
  {
    key: 'threshold',
    label: 'Threshold',
    numeric: true,
    value: (c) => c.threshold,
    text: (c) => formatNumber(c.threshold),
  },
  {
    key: 'pValue',
    label: 'p-value',
    numeric: true,
    value: (c) => c.pValue,
    text: (c) =>
      c.pValue === null ? '–' : c.pValue < 1e-4 ? c.pValue.toExponential(2) : formatNumber(c.pValue),
  },
  {
    key: 'drifted',
    label: 'Drifted',
    numeric: true,
    value: (c) => (c.skipped ? null : c.severity),
    text: (c) => (c.skipped ? 'not tested' : c.drifted ? 'drifted' : 'no'),
  },
  {
    key: 'missingRateShift',
    label: 'Missing shift',
    numeric: true,
    value: (c) => c.missingRateShift,
    text: (c) => `${c.missingRateShift > 0 ? '+' : ''}${(c.missingRateShift * 100).toFixed(1)} pp`,
  },
];

export function ordered(s: DriftSnapshot): DriftColumnView[] {
  const col = COLUMNS.find((c) => c.key === state.sort.key) ?? COLUMNS[6];
  const dir = state.sort.descending ? -1 : 1;
  return [...s.columns].sort((a, b) => {
    const va = col.value(a);
    const vb = col.value(b);
    if (va === null || vb === null) return va === vb ? 0 : va === null ? 1 : -1;
    if (typeof va === 'number' && typeof vb === 'number') return dir * (va - vb) || b.severity - a.severity;
    return dir * String(va).localeCompare(String(vb), undefined, { numeric: true });
  });
}

/** The column table; a press on a header sorts, a press on a row selects its column. */
export function renderTable(s: DriftSnapshot, on: { select(column: string): void; rerender(): void }): void {
  const head = el(
    'tr',
    {},
    ...COLUMNS.map((c) => {
      const sorted = state.sort.key === c.key;
      const b = el(
        'button',
        {
          type: 'button',
          class: 'sort',
          title: c.key === 'drifted' ? 'Sort by severity (how far past the threshold)' : `Sort by ${c.label}`,
        },
        c.label,
        sorted ? (state.sort.descending ? ' ▼' : ' ▲') : '',
      );
      b.addEventListener('click', () => {
        state.sort = { key: c.key, descending: sorted ? !state.sort.descending : c.numeric === true };
        on.rerender();
        (table.querySelector(`th[data-key="${c.key}"] button`) as HTMLButtonElement | null)?.focus();
      });
      return el(
        'th',
        {
          scope: 'col',
          'data-key': c.key,
          class: c.numeric ? 'num' : '',
          'aria-sort': sorted ? (state.sort.descending ? 'descending' : 'ascending') : 'none',
        },
        b,
      );
    }),
  );
  const rows = ordered(s).map((c) => {
    const selected = c.column === state.selected;
    const tr = el(
      'tr',
      {
        class: `${c.drifted ? 'drifted' : ''}${selected ? ' selected' : ''}`,
        'data-column': c.column,
        'aria-selected': selected ? 'true' : 'false',
        tabindex: selected ? 0 : -1,
        title: c.skipped ?? '',
      },
      ...COLUMNS.map((col) =>
        col.key === 'column'
          ? el('th', { scope: 'row', text: c.column })
          : el('td', {
              class: `${col.numeric ? 'num' : ''}${col.key === 'drifted' && c.drifted ? ' flag' : ''}`,
              text: col.text(c),
            }),
      ),
    );
    tr.addEventListener('click', () => on.select(c.column));
    return tr;
  });
  table.replaceChildren(
    el('caption', {
      class: 'visually-hidden',
      text: 'Columns; arrow keys move the selection, the histogram shows the selected column',
    }),
    el('thead', {}, head),
    el('tbody', {}, ...rows),
  );
}
