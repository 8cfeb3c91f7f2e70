import type { XAxis } from '../../src/protocol/metrics';
import { el } from '../shared/dom';
import { X_LABELS } from './format';
import { state } from './state';

export const runsButton = el(
  'button',
  { type: 'button', 'aria-haspopup': 'true', 'aria-expanded': 'false' },
  'Runs…',
);
export const pickerPanel = el('div', {
  class: 'panel',
  hidden: true,
  role: 'dialog',
  'aria-label': 'Choose runs',
});
export const xSelect = el(
  'select',
  { id: 'x-axis' },
  ...(['step', 'wall', 'relative'] as XAxis[]).map((a) => el('option', { value: a, text: X_LABELS[a] })),
);
export const smoothingInput = el('input', {
  id: 'smoothing',
  type: 'range',
  min: 0,
  max: 0.99,
  step: 0.01,
  'aria-describedby': 'smoothing-value',
});
export const smoothingValue = el('output', { id: 'smoothing-value', for: 'smoothing' });
export const legendFilter = el('input', {
  type: 'search',
  placeholder: 'Filter runs',
  'aria-label': 'Filter the legend',
});
export const metricFilter = el('input', {
  type: 'search',
  placeholder: 'Filter metrics',
  'aria-label': 'Filter metrics by name',
});
export const filterStatus = el('span', { class: 'filter-status muted', role: 'status' });
export const metricFilterBar = el('div', { class: 'toolbar metric-filter' }, metricFilter, filterStatus);
export const showAll = el('button', { type: 'button', text: 'Show all' });
export const hideAll = el('button', { type: 'button', text: 'Hide all' });
export const legend = el('ul', { class: 'legend', 'aria-label': 'Runs shown (press to hide or show a run)' });
export const notices = el('div', { class: 'notices', role: 'status' });
export const grid = el('div', { class: 'sections' });
export const empty = el('p', { class: 'empty muted', hidden: true });
export const tooltip = el('div', { class: 'tooltip', hidden: true, role: 'tooltip' });

/** Put the page's fixed parts in the document, showing the saved state. */
export function mountPage(): void {
  document.body.append(
    el(
      'div',
      { class: 'toolbar', role: 'toolbar', 'aria-label': 'Chart options' },
      el('span', { class: 'picker' }, runsButton, pickerPanel),
      el('label', { for: 'x-axis' }, 'X axis', xSelect),
      el('label', { for: 'smoothing' }, 'Smoothing', smoothingInput, smoothingValue),
      el('span', {}, legendFilter),
      showAll,
      hideAll,
    ),
    notices,
    legend,
    metricFilterBar,
    empty,
    grid,
    tooltip,
  );

  xSelect.value = state.xAxis;
  metricFilter.value = state.filter;
  smoothingInput.value = String(state.smoothing);
  smoothingValue.textContent = state.smoothing.toFixed(2);
}
