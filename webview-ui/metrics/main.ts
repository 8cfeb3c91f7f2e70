import './style.css';
import { assertNever } from '../../src/protocol/common';
import type { MetricsToWebview, XAxis } from '../../src/protocol/metrics';
import { onThemeChange, readTheme } from '../shared/theme';
import { applyTheme } from './chartView';
import { renderLegend, renderPicker, setHidden, togglePicker } from './legend';
import { refreshDatasets } from './lines';
import {
  grid,
  hideAll,
  legendFilter,
  metricFilter,
  mountPage,
  runsButton,
  showAll,
  smoothingInput,
  smoothingValue,
  xSelect,
} from './page';
import { applySnapshot, renderAll, showNotices } from './render';
import { applyFilter } from './sections';
import { checkWidth, initialWidth } from './size';
import { host, saveState, state, view, views } from './state';

mountPage();

xSelect.addEventListener('change', () => {
  state.xAxis = xSelect.value as XAxis;
  for (const v of views.values()) {
    v.zoomed = undefined;
    v.chart.resetZoom('none');
  }
  saveState();
  renderAll();
});
smoothingInput.addEventListener('input', () => {
  state.smoothing = Number(smoothingInput.value);
  smoothingValue.textContent = state.smoothing.toFixed(2);
  saveState();
  for (const v of views.values()) refreshDatasets(v);
});
legendFilter.addEventListener('input', () => renderLegend());
metricFilter.addEventListener('input', () => {
  state.filter = metricFilter.value;
  saveState();
  applyFilter();
});
showAll.addEventListener('click', () => setHidden([]));
hideAll.addEventListener('click', () => setHidden(view.snapshot?.runs.map((r) => r.ref) ?? []));
runsButton.addEventListener('click', () => togglePicker());

function receive(m: MetricsToWebview): void {
  switch (m.type) {
    case 'snapshot':
      applySnapshot(m.snapshot);
      break;
    case 'zoomData': {
      const v = views.get(m.key);
      if (!v || m.requestId !== v.pendingZoom) return;
      v.zoomed = { range: m.range, series: m.series };
      refreshDatasets(v);
      break;
    }
    case 'notice':
      showNotices([m.text]);
      break;
    default:
      assertNever(m, 'message');
  }
}

onThemeChange(() => {
  view.theme = readTheme();
  for (const v of views.values()) {
    applyTheme(v);
    refreshDatasets(v);
  }
  renderLegend();
  renderPicker();
});

new ResizeObserver(() => checkWidth()).observe(grid);

host.start(receive, { type: 'ready', width: initialWidth() });
