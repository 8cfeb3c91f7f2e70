import { STATS } from '../../src/protocol/compare';
import type { Stat } from '../../src/protocol/compare';
import { el } from '../shared/dom';
import { state } from './state';
import { whatChangedSection } from './whatChanged';

export const STAT_LABELS: Record<Stat, string> = {
  last: 'Latest',
  best: 'Best (by goal)',
  min: 'Minimum',
  max: 'Maximum',
  atStep: 'At step',
};

export const statSelect = el(
  'select',
  { id: 'stat' },
  ...STATS.map((s) => el('option', { value: s, text: STAT_LABELS[s] })),
);
export const stepInput = el('input', {
  id: 'step',
  type: 'number',
  min: 0,
  step: 1,
  placeholder: 'step',
  size: 8,
});
export const baselineSelect = el('select', { id: 'baseline' });
export const differing = el('input', { id: 'differing', type: 'checkbox' });
export const paramsRows = el('input', { id: 'params-rows', type: 'checkbox' });
export const paramsTable = el('table', { class: 'compare params' });
export const importanceMetric = el('select', { id: 'importance-metric' });
export const paramsHeading = el('h2', { id: 'params-heading', text: 'Params' });
/** The parallel axes shown, each with a button that removes it. */
export const axisList = el('ul', { class: 'axes', 'aria-label': 'Axes shown' });
export const axisAdd = el('select', { id: 'axis-add' });
export const axisReset = el('button', { type: 'button', id: 'axis-reset', text: 'Default axes' });
export const notices = el('div', { class: 'notices', role: 'status' });
export const table = el('table', { class: 'compare' });
export const parallelMetric = el('select', { id: 'parallel-metric' });
export const scatterParam = el('select', { id: 'scatter-param' });
export const scatterMetric = el('select', { id: 'scatter-metric' });
export const parallelCanvas = el('canvas', {
  role: 'img',
  'aria-label': 'Parallel coordinates: params to the chosen metric',
});
export const scatterCanvas = el('canvas', {
  role: 'img',
  'aria-label': 'Scatter of a param against a metric',
});

/** Put the page's fixed parts in the document, showing the saved state. */
export function mountPage(): void {
  document.body.append(
    el(
      'div',
      { class: 'toolbar', role: 'toolbar', 'aria-label': 'Comparison options' },
      el('label', { for: 'stat' }, 'Metric value', statSelect),
      el('label', { for: 'step' }, 'Step', stepInput),
      el('label', { for: 'baseline' }, 'Baseline', baselineSelect),
      el('label', { for: 'differing' }, differing, 'Only params that differ'),
      el('label', { for: 'params-rows' }, paramsRows, 'Params as rows'),
    ),
    notices,
    el('div', { class: 'table-wrap' }, table),
    whatChangedSection,
    el(
      'section',
      { class: 'params-section', 'aria-labelledby': 'params-heading', hidden: true },
      el(
        'header',
        {},
        paramsHeading,
        el('label', { for: 'importance-metric' }, 'Importance for', importanceMetric),
      ),
      el('div', { class: 'table-wrap' }, paramsTable),
    ),
    el(
      'div',
      { class: 'charts' },
      el(
        'section',
        { class: 'card', 'aria-label': 'Parallel coordinates' },
        el(
          'header',
          {},
          el('h2', { text: 'Parallel coordinates' }),
          el('label', { for: 'parallel-metric' }, 'Metric', parallelMetric),
        ),
        el(
          'div',
          { class: 'axis-controls' },
          axisList,
          el('label', { for: 'axis-add' }, 'Add axis', axisAdd),
          axisReset,
        ),
        el('div', { class: 'plot' }, parallelCanvas),
      ),
      el(
        'section',
        { class: 'card', 'aria-label': 'Scatter' },
        el(
          'header',
          {},
          el('h2', { text: 'Scatter' }),
          el('label', { for: 'scatter-param' }, 'Param', scatterParam),
          el('label', { for: 'scatter-metric' }, 'Metric', scatterMetric),
        ),
        el('div', { class: 'plot' }, scatterCanvas),
      ),
    ),
  );

  statSelect.value = state.stat;
  differing.checked = state.onlyDiffering;
  if (state.step !== null) stepInput.value = String(state.step);
}
