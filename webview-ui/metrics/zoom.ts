import { refreshDatasets } from './lines';
import { host, state } from './state';
import type { ChartView } from './state';

let requestSeq = 0;

export function scheduleZoomFetch(v: ChartView): void {
  window.clearTimeout(v.zoomTimer);
  v.zoomTimer = window.setTimeout(() => {
    const x = v.chart.scales.x;
    if (!v.chart.isZoomedOrPanned()) return resetZoom(v);
    const factor = state.xAxis === 'relative' ? 1000 : 1;
    v.pendingZoom = ++requestSeq;
    host.post({
      type: 'zoom',
      requestId: v.pendingZoom,
      key: v.key,
      range: { axis: state.xAxis, min: x.min * factor, max: x.max * factor },
    });
  }, 120);
}

export function resetZoom(v: ChartView): void {
  v.pendingZoom = ++requestSeq;
  v.zoomed = undefined;
  v.chart.resetZoom('none');
  refreshDatasets(v);
}

export function keyboard(v: ChartView, e: KeyboardEvent): void {
  const actions: Record<string, () => void> = {
    ArrowLeft: () => v.chart.pan({ x: v.canvas.clientWidth / 10 }, undefined, 'none'),
    ArrowRight: () => v.chart.pan({ x: -v.canvas.clientWidth / 10 }, undefined, 'none'),
    '+': () => v.chart.zoom(1.25, 'none'),
    '=': () => v.chart.zoom(1.25, 'none'),
    '-': () => v.chart.zoom(0.8, 'none'),
    '0': () => resetZoom(v),
  };
  const act = actions[e.key];
  if (!act) return;
  e.preventDefault();
  act();
  if (e.key !== '0') scheduleZoomFetch(v);
}
