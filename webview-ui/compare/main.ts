import './style.css';
import type { CompareToWebview, Stat } from '../../src/protocol/compare';
import { assertNever } from '../../src/protocol/common';
import { el } from '../shared/dom';
import { onThemeChange, readTheme } from '../shared/theme';
import {
  axisAdd,
  axisReset,
  baselineSelect,
  differing,
  importanceMetric,
  mountPage,
  notices,
  parallelMetric,
  paramsRows,
  scatterMetric,
  scatterParam,
  statSelect,
  stepInput,
} from './page';
import { axes } from './params';
import { render } from './render';
import { host, save, state, view } from './state';
import { renderWhatChanged } from './whatChanged';

mountPage();

statSelect.addEventListener('change', () => {
  state.stat = statSelect.value as Stat;
  if (state.stat === 'atStep' && state.step === null) stepInput.focus();
  render();
});
stepInput.addEventListener('change', () => {
  const v = stepInput.value.trim();
  const step = v === '' ? null : Number(v);
  if (step !== null && !Number.isFinite(step)) return;
  state.step = step;
  save();
  host.post({ type: 'setStep', step });
});
baselineSelect.addEventListener('change', () => {
  state.baselineRef = baselineSelect.value || null;
  save();
  host.post({ type: 'setBaseline', ref: state.baselineRef });
});
differing.addEventListener('change', () => {
  state.onlyDiffering = differing.checked;
  render();
});
paramsRows.addEventListener('change', () => {
  state.paramsAsRows = paramsRows.checked;
  render();
});
for (const select of [parallelMetric, importanceMetric])
  select.addEventListener('change', () => {
    state.parallelMetric = select.value;
    render();
  });
axisAdd.addEventListener('change', () => {
  const key = axisAdd.value;
  const s = view.snapshot;
  if (!key || !s) return;
  state.axes = [...axes(s), key];
  render();
  axisAdd.focus();
});
axisReset.addEventListener('click', () => {
  state.axes = null;
  render();
  axisAdd.focus();
});
scatterParam.addEventListener('change', () => {
  state.scatter = { ...state.scatter, param: scatterParam.value };
  render();
});
scatterMetric.addEventListener('change', () => {
  state.scatter = { ...state.scatter, metric: scatterMetric.value };
  render();
});

function receive(m: CompareToWebview): void {
  switch (m.type) {
    case 'snapshot':
      view.snapshot = m.snapshot;
      state.refs = m.snapshot.runs.map((r) => r.ref);
      state.baselineRef = m.snapshot.baselineRef;
      state.step = m.snapshot.step;
      render();
      break;
    case 'whatChanged':
      view.whatChanged = m.view;
      renderWhatChanged(view.whatChanged, view.snapshot);
      break;
    case 'notice':
      notices.replaceChildren(el('div', { text: m.text }));
      break;
    default:
      assertNever(m, 'message');
  }
}

onThemeChange(() => {
  view.theme = readTheme();
  render();
});

host.start(receive, { type: 'ready' });
