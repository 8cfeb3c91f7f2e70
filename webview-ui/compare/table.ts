import type { CompareSnapshot, StatCell } from '../../src/protocol/compare';
import { el, formatDuration, formatNumber } from '../shared/dom';
import { themedColor } from '../shared/theme';
import {
  IMPORTANCE_METHOD,
  groupParams,
  middleEllipsis,
  numericValues,
} from '../../src/core/charts/paramView';
import { STAT_LABELS, paramsTable, table } from './page';
import { ROW_VALUE_CHARS, VALUE_CHARS, chosenMetric, importances, paramsAsRows, shownParams } from './params';
import type { Param } from './params';
import { state, view } from './state';

interface Column {
  id: string;
  label: string;
  title?: string;
  /** Sort key of row i (numbers before text; undefined last). */
  sortValue(i: number): number | string | undefined;
  cell(i: number): HTMLTableCellElement;
  numeric?: boolean;
}

function paramText(v: string | number | boolean | null): string {
  return v === null ? '–' : String(v);
}

function deltaText(cell: StatCell): string {
  const d = cell.delta;
  if (!d || d.absolute === null) return '';
  const sign = d.absolute > 0 ? '+' : '';
  const rel = d.relative === null ? '' : ` (${d.relative > 0 ? '+' : ''}${(d.relative * 100).toFixed(1)}%)`;
  return `${sign}${formatNumber(d.absolute)}${rel}`;
}

/** A param value's cell: long text cut in the middle, the whole value in its tooltip. */
function valueCell(
  v: string | number | boolean | null,
  numeric: boolean,
  max = VALUE_CHARS,
): HTMLTableCellElement {
  const text = paramText(v);
  const shown = middleEllipsis(text, max);
  return el('td', {
    class: numeric ? 'num param' : 'param',
    text: shown,
    title: shown === text ? undefined : text,
  });
}

function importanceText(rho: number | null | undefined): string {
  return rho === null || rho === undefined ? 'n/a' : rho.toFixed(2);
}

/** The importance column's header tooltip: which correlation, with which metric and statistic. */
function importanceTitle(s: CompareSnapshot): string {
  const m = chosenMetric(s);
  return m
    ? `${IMPORTANCE_METHOD}. Metric: ${m.key} (${STAT_LABELS[state.stat].toLowerCase()}).`
    : 'No metric to correlate with.';
}

function columns(s: CompareSnapshot): Column[] {
  const rho = importances(s);
  return [
    ...runColumns(s),
    ...(paramsAsRows(s) ? [] : shownParams(s).map((p) => paramColumn(p, rho.get(p.key)))),
    ...s.metrics.map((m) => metricColumn(s, m)),
    ...sourceColumns(s),
  ];
}

/** The run, its status and duration. */
function runColumns(s: CompareSnapshot): Column[] {
  return [
    {
      id: 'run',
      label: 'Run',
      sortValue: (i) => s.runs[i].name,
      cell: (i) => {
        const r = s.runs[i];
        const sw = el('span', { class: 'swatch' });
        sw.style.background = themedColor(r.color, view.theme);
        return el(
          'th',
          { scope: 'row', class: 'sticky', title: `${r.label}\n${r.id}` },
          sw,
          ` ${r.name}`,
          r.isBaseline ? el('span', { class: 'badge', text: 'baseline' }) : null,
        );
      },
    },
    {
      id: 'status',
      label: 'Status',
      sortValue: (i) => s.runs[i].status,
      cell: (i) => el('td', { text: s.runs[i].status }),
    },
    {
      id: 'duration',
      label: 'Duration',
      numeric: true,
      sortValue: (i) => s.runs[i].durationMs ?? undefined,
      cell: (i) =>
        el('td', {
          class: 'num',
          text: s.runs[i].durationMs === null ? '–' : formatDuration(s.runs[i].durationMs!),
        }),
    },
  ];
}

function paramColumn(p: Param, rho: number | null | undefined): Column {
  const nums = numericValues(p.values);
  const numeric = nums !== null;
  return {
    id: `param:${p.key}`,
    label: middleEllipsis(p.key, VALUE_CHARS),
    title: `param ${p.key}${p.differs ? ' (differs)' : ''}; importance ${importanceText(rho)}`,
    sortValue: (i) => (p.values[i] === null ? undefined : (nums?.[i] ?? String(p.values[i]))),
    cell: (i) => valueCell(p.values[i], numeric),
  };
}

/** A metric at the chosen statistic, its best run starred and its delta against the baseline. */
function metricColumn(s: CompareSnapshot, m: CompareSnapshot['metrics'][number]): Column {
  const cells = m.stats[state.stat];
  return {
    id: `metric:${m.key}`,
    label: m.key,
    title: `${STAT_LABELS[state.stat]}${state.stat === 'atStep' ? ` ${s.step ?? '(choose a step)'}` : ''} of ${m.key}${m.goal ? `, ${m.goal === 'min' ? 'lower' : 'higher'} is better` : ''}`,
    numeric: true,
    sortValue: (i) => cells[i]?.value ?? undefined,
    cell: (i) => {
      const c = cells[i];
      if (!c) return el('td', { class: 'num muted', text: '–', title: `no ${m.key}` });
      const td = el(
        'td',
        { class: `num metric${c.isBest ? ' best' : ''}` },
        el('span', { class: c.text ? 'flag' : '', text: c.text ?? formatNumber(c.value!) }),
        c.isBest
          ? el('span', { class: 'star', text: ' ★', title: 'best of these runs', 'aria-label': 'best' })
          : null,
      );
      const dt = deltaText(c);
      if (dt)
        td.append(
          el('div', {
            class: `delta ${c.delta?.verdict ?? 'neutral'}`,
            text: dt,
            title: `vs baseline: ${c.delta?.verdict ?? 'no goal'}`,
          }),
        );
      return td;
    },
  };
}

/** Where the run came from: its commit and inputs. */
function sourceColumns(s: CompareSnapshot): Column[] {
  return [
    {
      id: 'git',
      label: 'Git commit',
      sortValue: (i) => s.runs[i].gitCommit ?? undefined,
      cell: (i) =>
        el('td', {
          class: 'mono',
          text: s.runs[i].gitCommit?.slice(0, 10) ?? '–',
          title: s.runs[i].gitCommit ?? '',
        }),
    },
    {
      id: 'inputs',
      label: 'Inputs',
      sortValue: (i) => s.runs[i].inputs.join(' '),
      cell: (i) => el('td', { class: 'mono small', text: s.runs[i].inputs.join('\n') || '–' }),
    },
  ];
}

function rowOrder(s: CompareSnapshot, cols: Column[]): number[] {
  const order = s.runs.map((_, i) => i);
  const col = state.sort && cols.find((c) => c.id === state.sort!.column);
  if (col) {
    const dir = state.sort!.descending ? -1 : 1;
    order.sort((a, b) => {
      const va = col.sortValue(a);
      const vb = col.sortValue(b);
      if (va === undefined || vb === undefined) return va === vb ? 0 : va === undefined ? 1 : -1;
      if (typeof va === 'number' && typeof vb === 'number') return dir * (va - vb);
      return dir * String(va).localeCompare(String(vb), undefined, { numeric: true });
    });
  }
  // The baseline stays on top: every delta below is read against it.
  const b = s.runs.findIndex((r) => r.isBaseline);
  return b >= 0 ? [b, ...order.filter((i) => i !== b)] : order;
}

/** The runs table; a press on a header sorts by that column and calls `rerender`. */
export function renderTable(s: CompareSnapshot, rerender: () => void): void {
  const cols = columns(s);
  const head = el(
    'tr',
    {},
    ...cols.map((c) => {
      const sorted = state.sort?.column === c.id;
      const b = el(
        'button',
        { type: 'button', class: 'sort', title: `${c.title ?? c.label}: press to sort` },
        c.label,
        sorted ? (state.sort!.descending ? ' ▼' : ' ▲') : '',
      );
      b.addEventListener('click', () => {
        state.sort = { column: c.id, descending: sorted ? !state.sort!.descending : c.numeric === true };
        rerender();
        (
          table.querySelector(`th[data-col="${CSS.escape(c.id)}"] button`) as HTMLButtonElement | null
        )?.focus();
      });
      return el(
        'th',
        {
          scope: 'col',
          'data-col': c.id,
          'aria-sort': sorted ? (state.sort!.descending ? 'descending' : 'ascending') : 'none',
          class: `${c.numeric ? 'num' : ''}${c.id === 'run' ? ' sticky' : ''}`,
        },
        b,
      );
    }),
  );
  const rows = rowOrder(s, cols).map((i) => {
    const tr = el('tr', { class: s.runs[i].isBaseline ? 'baseline' : '' }, ...cols.map((c) => c.cell(i)));
    return tr;
  });
  table.replaceChildren(
    el('caption', {
      class: 'visually-hidden',
      text: 'Runs compared: params, metrics, duration, commit and inputs',
    }),
    el('thead', {}, head),
    el('tbody', {}, ...rows),
  );
}

/** A group's header row: a button that folds or unfolds its params. */
function groupRow(name: string, count: number, span: number, rerender: () => void): HTMLTableRowElement {
  const open = !state.collapsed?.includes(name);
  const b = el(
    'button',
    {
      type: 'button',
      class: 'group-toggle',
      'aria-expanded': String(open),
      title: `${open ? 'Fold' : 'Unfold'} the ${count} params under ${name}`,
    },
    `${open ? '▾' : '▸'} ${name} `,
    el('span', { class: 'count', text: `(${count})` }),
  );
  b.addEventListener('click', () => {
    const rest = (state.collapsed ?? []).filter((g) => g !== name);
    state.collapsed = open ? [...rest, name] : rest;
    rerender();
    (
      paramsTable.querySelector(
        `tr.group[data-group="${CSS.escape(name)}"] button`,
      ) as HTMLButtonElement | null
    )?.focus();
  });
  return el('tr', { class: 'group', 'data-group': name }, el('th', { scope: 'rowgroup', colSpan: span }, b));
}

/**
 * Params as rows (runs as columns), grouped by key prefix with foldable groups, each with its
 * importance for the chosen metric; empty (and hidden) when params are shown as table columns.
 */
export function renderParamsTable(s: CompareSnapshot, rerender: () => void): void {
  const section = paramsTable.closest('section');
  if (!paramsAsRows(s)) {
    paramsTable.replaceChildren();
    if (section) section.hidden = true;
    return;
  }
  if (section) section.hidden = false;
  const rho = importances(s);
  const order = rowOrder(s, columns(s));
  const span = 2 + order.length;
  const head = el(
    'tr',
    {},
    el('th', { scope: 'col', class: 'sticky', text: 'Param' }),
    el('th', { scope: 'col', class: 'num has-tip', title: importanceTitle(s), text: 'Importance' }),
    ...order.map((i) => {
      const r = s.runs[i];
      const sw = el('span', { class: 'swatch' });
      sw.style.background = themedColor(r.color, view.theme);
      return el('th', { scope: 'col', title: r.label }, sw, ` ${middleEllipsis(r.name, 24)}`);
    }),
  );
  const body: HTMLTableRowElement[] = [];
  for (const g of groupParams(shownParams(s))) {
    if (g.name) body.push(groupRow(g.name, g.params.length, span, rerender));
    if (g.name && state.collapsed?.includes(g.name)) continue;
    for (const p of g.params) {
      const r = rho.get(p.key);
      const numeric = numericValues(p.values) !== null;
      const name = g.name ? p.key.slice(g.name.length + 1) : p.key;
      body.push(
        el(
          'tr',
          { class: g.name ? 'in-group' : '', 'data-param': p.key },
          el('th', { scope: 'row', class: 'sticky', title: p.key }, middleEllipsis(name, VALUE_CHARS)),
          el('td', {
            class: `num importance${r === null || r === undefined ? ' muted' : ''}`,
            text: importanceText(r),
            title:
              r === null || r === undefined
                ? 'n/a: a text param, fewer than 3 runs with values, or constant'
                : `Spearman ρ = ${r}`,
          }),
          ...order.map((i) => valueCell(p.values[i], numeric, ROW_VALUE_CHARS)),
        ),
      );
    }
  }
  const m = chosenMetric(s);
  paramsTable.replaceChildren(
    el('caption', {
      class: 'visually-hidden',
      text: `Params of the compared runs, grouped by prefix, with their importance for ${m?.key ?? 'no metric'}`,
    }),
    el('thead', {}, head),
    el('tbody', {}, ...body),
  );
}
