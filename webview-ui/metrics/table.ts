import { el, plural } from '../shared/dom';
import { themedColor } from '../shared/theme';
import { X_LABELS, formatX, valueText } from './format';
import { state, view } from './state';
import type { ChartView, Line, Point } from './state';

/**
 * The chart as a table: a row per x value, a column per shown run, each cell the text the
 * tooltip shows there (smoothed value, raw one in brackets, the non-finite value logged).
 */
export function renderTable(v: ChartView): void {
  if (!state.tables.includes(v.key)) {
    v.tableBox.replaceChildren();
    return;
  }
  const lines = v.lines.filter((l) => !state.hidden.includes(l.run.ref) && l.points.length);
  const columns = lines.map((line) => {
    const drawn = drawnOf(v, line);
    // A step logged twice shows both values, in the order logged.
    const at = new Map<number, string[]>();
    line.points.forEach((p, i) => {
      const text = valueText(drawn.points[i]?.y ?? null, p.y, drawn.smoothed, line.flags.get(i));
      const cell = at.get(p.x);
      if (cell) cell.push(text);
      else at.set(p.x, [text]);
    });
    return { line, at, smoothed: drawn.smoothed };
  });
  const xs = [...new Set(lines.flatMap((l) => l.points.map((p) => p.x)))].sort((a, b) => a - b);
  const reduced = !v.zoomed && v.data.series.some((s) => s.total > s.steps.length);
  const caption = el(
    'caption',
    {},
    `${v.key}: ${plural(lines.length, 'run')}, ${plural(
      lines.reduce((n, l) => n + l.points.length, 0),
      'point',
    )}`,
    columns.some((c) => c.smoothed) ? ', smoothed (raw)' : '',
    v.zoomed ? '; the zoomed range at full resolution' : '',
    reduced ? '; long series reduced as drawn (zoom in, or CSV, for every point)' : '',
  );
  const head = el(
    'tr',
    {},
    el('th', { scope: 'col', text: X_LABELS[state.xAxis] }),
    ...columns.map(({ line }) => {
      const sw = el('span', { class: 'swatch' });
      sw.style.background = themedColor(line.run.color, view.theme);
      return el('th', { scope: 'col', title: line.run.label }, sw, ` ${line.run.label}`);
    }),
  );
  const body = el('tbody');
  body.append(
    ...xs.map((x) =>
      el(
        'tr',
        {},
        el('th', { scope: 'row', text: formatX(x) }),
        ...columns.map((c) => el('td', { text: c.at.get(x)?.join(', ') ?? '' })),
      ),
    ),
  );
  v.tableBox.replaceChildren(el('table', {}, caption, el('thead', {}, head), body));
}

/** The points a line is drawn with (smoothed or its own) and whether they are smoothed. */
export function drawnOf(v: ChartView, line: Line): { points: Point[]; smoothed: boolean } {
  const d = v.chart.data.datasets.find((x) => x.label === line.run.ref);
  if (!d) return { points: line.points, smoothed: false };
  return { points: d.data, smoothed: d.data !== line.points };
}
