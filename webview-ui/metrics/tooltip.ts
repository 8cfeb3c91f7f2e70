import type { NonFiniteCode, RunInfo } from '../../src/protocol/common';
import { el } from '../shared/dom';
import { themedColor } from '../shared/theme';
import { X_LABELS, formatX, valueText } from './format';
import { drawnOf } from './table';
import { tooltip } from './page';
import { state, view } from './state';
import type { ChartView, Point } from './state';

function nearestIndex(points: Point[], x: number): number {
  let lo = 0;
  let hi = points.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid].x < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(points[lo - 1].x - x) <= Math.abs(points[lo].x - x)) return lo - 1;
  return lo;
}

export function hover(v: ChartView, e: MouseEvent): void {
  const area = v.chart.chartArea;
  if (e.offsetX < area.left || e.offsetX > area.right) return unhover(v);
  const x = v.chart.scales.x.getValueForPixel(e.offsetX);
  if (x === undefined) return unhover(v);
  const rows: {
    run: RunInfo;
    value: number | null;
    raw: number | null;
    smoothed: boolean;
    flag?: NonFiniteCode;
    at: number;
  }[] = [];
  for (const line of v.lines) {
    if (state.hidden.includes(line.run.ref) || !line.points.length) continue;
    const i = nearestIndex(line.points, x);
    const drawn = drawnOf(v, line);
    rows.push({
      run: line.run,
      value: drawn.points[i]?.y ?? null,
      raw: line.points[i].y,
      smoothed: drawn.smoothed,
      flag: line.flags.get(i),
      at: line.points[i].x,
    });
  }
  if (!rows.length) return unhover(v);
  const nearest = rows.reduce((a, b) => (Math.abs(b.at - x) < Math.abs(a.at - x) ? b : a)).at;
  const dir = v.data.goal === 'min' ? 1 : -1;
  rows.sort((a, b) => (a.value === null ? 1 : b.value === null ? -1 : dir * (a.value - b.value)));
  v.hoverX = nearest;
  v.chart.draw();
  const showRaw = rows.some((r) => r.smoothed);
  const list = el('div', { class: 'rows' });
  // Many runs: several columns of at most 30 rows, so every run's value stays on screen.
  const columns = Math.ceil(rows.length / 30);
  list.style.gridTemplateColumns = `repeat(${columns}, minmax(0, auto))`;
  list.style.gridTemplateRows = `repeat(${Math.ceil(rows.length / columns)}, auto)`;
  tooltip.replaceChildren(
    el('div', {}, el('strong', { text: `${X_LABELS[state.xAxis]} ${formatX(nearest)}` })),
    list,
  );
  list.append(
    ...rows.map((r) => {
      const sw = el('span', { class: 'swatch' });
      sw.style.background = themedColor(r.run.color, view.theme);
      const text = valueText(r.value, r.raw, r.smoothed, r.flag);
      const value = r.flag
        ? el('span', { class: 'flag', text, title: `the run logged ${r.flag} here` })
        : el('span', { text });
      return el('div', { class: 'row' }, sw, el('span', { class: 'name', text: r.run.label }), value);
    }),
  );
  if (showRaw) tooltip.append(el('div', { class: 'muted', text: 'smoothed (raw)' }));
  tooltip.hidden = false;
  const box = tooltip.getBoundingClientRect();
  const left = e.clientX + 16 + box.width > window.innerWidth ? e.clientX - 16 - box.width : e.clientX + 16;
  tooltip.style.left = `${Math.max(0, left)}px`;
  tooltip.style.top = `${Math.max(0, Math.min(e.clientY + 12, window.innerHeight - box.height - 4))}px`;
}

export function unhover(v: ChartView): void {
  tooltip.hidden = true;
  if (v.hoverX !== undefined) {
    v.hoverX = undefined;
    v.chart.draw();
  }
}
