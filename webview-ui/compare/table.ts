import type { CompareSnapshot, StatCell } from '../../src/protocol/compare';
import { el, formatDuration, formatNumber } from '../shared/dom';
import { themedColor } from '../shared/theme';
import { STAT_LABELS, table } from './page';
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

function columns(s: CompareSnapshot): Column[] {
  return [
    ...runColumns(s),
    ...s.params.filter((p) => !state.onlyDiffering || p.differs).map(paramColumn),
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
          { scope: 'row', title: `${r.label}\n${r.id}` },
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

function paramColumn(p: CompareSnapshot['params'][number]): Column {
  return {
    id: `param:${p.key}`,
    label: p.key,
    title: `param ${p.key}${p.differs ? ' (differs)' : ''}`,
    sortValue: (i) =>
      p.values[i] === null
        ? undefined
        : typeof p.values[i] === 'number'
          ? (p.values[i] as number)
          : String(p.values[i]),
    cell: (i) =>
      el('td', {
        class: typeof p.values[i] === 'number' ? 'num param' : 'param',
        text: paramText(p.values[i]),
      }),
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
          class: c.numeric ? 'num' : '',
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

// ---- charts -----------------------------------------------------------------------------------
