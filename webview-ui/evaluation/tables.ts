import type { EvaluationSnapshot, RenderedEvalChart } from '../../src/protocol/evaluation';
import { el, formatNumber } from '../shared/dom';
import { state, view } from './state';

/** A titled panel of the grid; `id` names its chart for tests and the heading's id. */
export function section(title: string, id: string, ...children: (Node | null)[]): HTMLElement {
  return el(
    'section',
    { class: 'panel', 'aria-labelledby': `${id}-title`, 'data-chart': id },
    el('h2', { id: `${id}-title`, text: title }),
    ...children,
  );
}

/**
 * The confusion matrix as a heat-coloured table, in counts or normalised by true label;
 * `toggle` flips the two (the caller saves the choice and draws again).
 */
export function confusionSection(
  cm: NonNullable<EvaluationSnapshot['confusion']>,
  rendered: RenderedEvalChart[],
  toggle: () => void,
): HTMLElement {
  const normalized = state.normalized;
  const button = el('button', {
    type: 'button',
    class: 'toggle',
    'aria-pressed': String(normalized),
    text: normalized ? 'Normalised by true label' : 'Counts',
    title: 'Show counts or each row as a share of its true label (Enter or Space toggles)',
  });
  button.addEventListener('click', toggle);
  const rowSums = cm.matrix.map((r) => r.reduce((a, b) => a + b, 0));
  const shown = cm.matrix.map((r, i) => r.map((v) => (normalized ? (rowSums[i] ? v / rowSums[i] : 0) : v)));
  const max = Math.max(1e-12, ...shown.flat());
  const cell = (v: number, i: number, j: number) => {
    const share = v / max;
    const td = el('td', {
      class: `cell${i === j ? ' diagonal' : ''}${share > 0.55 ? ' strong' : ''}`,
      text: normalized ? `${(v * 100).toFixed(1)}%` : String(v),
      title: `true ${cm.labels[i]}, predicted ${cm.labels[j]}: ${cm.matrix[i][j]} rows`,
    });
    td.style.backgroundColor = heat(share);
    return td;
  };
  const table = el(
    'table',
    { class: 'confusion', 'aria-label': 'Confusion matrix: rows are true labels, columns predicted labels' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { scope: 'col', class: 'corner', text: 'true ↓ / predicted →' }),
        ...cm.labels.map((l) => el('th', { scope: 'col', text: l })),
      ),
    ),
    el(
      'tbody',
      {},
      ...shown.map((r, i) =>
        el('tr', {}, el('th', { scope: 'row', text: cm.labels[i] }), ...r.map((v, j) => cell(v, i, j))),
      ),
    ),
  );
  rendered.push({ id: 'confusion', datasets: 1, points: cm.labels.length ** 2 });
  return section(
    'Confusion matrix',
    'confusion',
    el('div', { class: 'toolbar' }, el('span', { class: 'muted', text: 'Show:' }), button),
    el('div', { class: 'table-wrap' }, table),
  );
}

/** The heat of a cell: the theme's accent at an opacity by its share of the largest cell. */
function heat(share: number): string {
  if (share <= 0) return 'transparent';
  const bg = view.theme.background;
  const dark = bg.startsWith('#') && parseInt(bg.slice(1, 3), 16) < 0x80;
  const [r, g, b] = dark ? [55, 148, 255] : [0, 95, 184];
  return `rgba(${r}, ${g}, ${b}, ${(0.08 + 0.87 * share).toFixed(3)})`;
}

/** The slice table's columns after the slice metric, when the slices have them. */
const SLICE_COLUMNS = [
  'eval/balanced_accuracy',
  'eval/f1_macro',
  'eval/roc_auc',
  'eval/average_precision',
  'eval/log_loss',
  'eval/mae',
  'eval/r2',
  'eval/mape',
];

export function slicesSection(sl: NonNullable<EvaluationSnapshot['slices']>): HTMLElement {
  const present = Object.keys(sl.rows[0]?.metrics ?? {});
  const keys = [sl.metric, ...SLICE_COLUMNS.filter((k) => k !== sl.metric && present.includes(k))];
  const short = (k: string) => k.replace(/^eval\//, '');
  const table = el(
    'table',
    { class: 'slices', 'aria-label': `Slices by ${sl.column}, worst ${short(sl.metric)} first` },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { scope: 'col', text: sl.column }),
        el('th', { scope: 'col', class: 'num', text: 'rows' }),
        ...keys.map((k) => el('th', { scope: 'col', class: 'num', text: short(k) })),
      ),
    ),
    el(
      'tbody',
      {},
      ...sl.rows.map((r, i) =>
        el(
          'tr',
          { class: i === 0 ? 'worst' : '' },
          el('th', { scope: 'row', text: r.value }),
          el('td', { class: 'num', text: r.n.toLocaleString('en-US') }),
          ...keys.map((k) => {
            const v = r.metrics[k];
            return el('td', { class: 'num', text: v === null || v === undefined ? '–' : formatNumber(v) });
          }),
        ),
      ),
    ),
  );
  return section(
    `Slices by ${sl.column} (worst ${short(sl.metric)} first)`,
    'slices',
    el('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': 'Slice table' }, table),
  );
}
