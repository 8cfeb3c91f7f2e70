import { grid } from './page';
import { host, views } from './state';
import type { ChartView } from './state';

let lastWidth = 0;

function chartWidth(): number {
  const first = views.values().next().value as ChartView | undefined;
  if (first?.canvas.clientWidth) return Math.round(first.canvas.clientWidth);
  // Before the first chart exists: the width the grid's columns (420px minimum, 16px gaps) will get.
  const inner = Math.max(320, (grid.clientWidth || window.innerWidth - 32) + 16);
  const columns = Math.max(1, Math.floor(inner / (420 + 16)));
  return Math.round(inner / columns - 16 - 18);
}

/** Ask for data at a new point budget when charts became much wider (or narrower). */
export function checkWidth(): void {
  const w = chartWidth();
  if (lastWidth && Math.abs(w - lastWidth) / lastWidth < 0.25) return;
  const first = lastWidth === 0;
  lastWidth = w;
  if (!first) host.post({ type: 'resize', width: w });
}

/** The width charts will get, posted with `ready` so the first snapshot fits it. */
export function initialWidth(): number {
  lastWidth = chartWidth();
  return lastWidth;
}
