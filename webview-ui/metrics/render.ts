import type { MetricsSnapshot, RenderedChart } from '../../src/protocol/metrics';
import { el } from '../shared/dom';
import { createView } from './chartView';
import { renderLegend, renderPicker } from './legend';
import { refreshDatasets } from './lines';
import { empty, metricFilterBar, notices } from './page';
import { applyFilter, bodyFor, planSections } from './sections';
import { checkWidth } from './size';
import { host, saveState, state, view, views } from './state';
import type { ChartView } from './state';

export function showNotices(texts: string[]): void {
  notices.replaceChildren(...texts.map((t) => el('div', { text: t })));
}

export function applySnapshot(s: MetricsSnapshot): void {
  view.snapshot = s;
  state.refs = s.runs.map((r) => r.ref);
  state.hidden = state.hidden.filter((h) => state.refs.includes(h));
  saveState();
  showNotices(s.notices);
  renderPicker();
  renderLegend();
  renderAll();
}

export function renderAll(): void {
  const s = view.snapshot;
  if (!s) return;
  const keys = new Set(s.charts.map((c) => c.key));
  for (const [key, v] of views) {
    if (keys.has(key)) continue;
    v.chart.destroy();
    v.card.remove();
    views.delete(key);
  }
  empty.hidden = s.charts.length > 0;
  metricFilterBar.hidden = s.charts.length === 0;
  const ended = s.runs.length > 0 && s.runs.every((r) => !['running', 'queued'].includes(r.status));
  empty.textContent = ended
    ? `${s.runs.length === 1 ? 'The run shown' : `The ${s.runs.length} runs shown`} logged no metric and ${s.runs.length === 1 ? 'has' : 'have'} ended (${[...new Set(s.runs.map((r) => r.status))].join(', ')}): there is nothing to chart.`
    : s.runs.length
      ? 'None of the runs shown has logged a metric yet. Charts appear as soon as points arrive.'
      : 'No runs shown. Select runs in the Runlens explorer and choose Open Metrics Chart, or press Runs… above.';
  planSections(s.charts.map((c) => c.key));
  for (const data of s.charts) {
    const parent = bodyFor(data.key);
    let v = views.get(data.key);
    if (!v) {
      v = createView(data, parent);
      views.set(data.key, v);
    }
    parent.append(v.card);
    v.data = data;
  }
  applyFilter();
  paintProgressively([...views.values()]);
}

let paintGeneration = 0;

/**
 * Fill the charts one per frame, those in view first: the first chart shows after one chart's
 * work instead of all of them, and input is never blocked for long. A newer view.snapshot cancels the
 * rest of an older pass. Posts `painted` after each chart and `rendered` after the last.
 */
function paintProgressively(pending: ChartView[]): void {
  const generation = ++paintGeneration;
  const height = window.innerHeight;
  const inView = (v: ChartView) => {
    const r = v.card.getBoundingClientRect();
    return r.bottom > 0 && r.top < height;
  };
  const order = [...pending.filter(inView), ...pending.filter((v) => !inView(v))];
  const total = order.length;
  const next = () => {
    if (generation !== paintGeneration) return;
    const v = order.shift();
    if (!v) {
      const shown = [...views.values()];
      host.post({
        type: 'rendered',
        charts: shown.map(describe),
        series: shown.reduce((n, w) => n + w.data.series.length, 0),
        points: shown.reduce((n, w) => n + w.data.series.reduce((m, d) => m + d.steps.length, 0), 0),
      });
      checkWidth();
      return;
    }
    refreshDatasets(v);
    // After the frame that shows it: the next chart's work starts once this one is on screen.
    requestAnimationFrame(() =>
      setTimeout(() => {
        if (generation !== paintGeneration) return;
        host.post({ type: 'painted', key: v.key, index: total - order.length - 1, of: total });
        next();
      }, 0),
    );
  };
  if (total === 0) requestAnimationFrame(next);
  else next();
}

function describe(v: ChartView): RenderedChart {
  const scales = v.chart.options.scales as Record<'x' | 'y', { title: { text: string } }>;
  return {
    key: v.key,
    xTitle: scales.x.title.text,
    yTitle: scales.y.title.text,
    xTicks: v.chart.scales.x.ticks.map((t) => String(t.label)),
    lines: v.lines.length,
    zoomed: v.zoomed !== undefined,
  };
}
