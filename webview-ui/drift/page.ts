import { el } from '../shared/dom';

export const heading = el('h1', { text: 'Data drift' });
export const status = el('div', { class: 'status', role: 'status', 'aria-live': 'polite' });
export const notices = el('div', { class: 'notices' });
export const refreshButton = el('button', {
  type: 'button',
  text: 'Refresh',
  title: 'Compute the report again',
});
export const saveButton = el('button', {
  type: 'button',
  text: 'Save Report…',
  title: 'Save the report as JSON',
});
export const summary = el('section', { class: 'summary', 'aria-label': 'Summary' });
export const online = el('section', { class: 'card online', 'aria-label': 'Online accuracy' });
export const table = el('table', { class: 'drift', 'aria-label': 'Columns by drift severity' });
export const histTitle = el('h2', { text: 'Distribution' });
export const histNote = el('p', { class: 'muted small-note' });
export const histCanvas = el('canvas', {
  role: 'img',
  'aria-label': 'Histogram of reference and current data',
});
export const timeline = el('section', { class: 'card timeline', 'aria-label': 'Drift timeline' });
export const timelineCanvas = el('canvas', {
  role: 'img',
  'aria-label': 'Share of drifted columns per window',
});
export const heat = el('div', { class: 'heat-wrap' });
export const accuracyCanvas = el('canvas', { role: 'img', 'aria-label': 'Online accuracy per window' });

/** Put the page's fixed parts in the document; the online and timeline cards wait for data. */
export function mountPage(): void {
  document.body.append(
    el(
      'div',
      { class: 'toolbar', role: 'toolbar', 'aria-label': 'Drift report' },
      heading,
      refreshButton,
      saveButton,
    ),
    status,
    notices,
    summary,
    online,
    el(
      'div',
      { class: 'main' },
      el('div', { class: 'table-wrap' }, table),
      el(
        'section',
        { class: 'card histogram', 'aria-label': 'Histogram of the selected column' },
        el('header', {}, histTitle),
        histNote,
        el('div', { class: 'plot' }, histCanvas),
      ),
    ),
    timeline,
  );
  online.hidden = true;
  timeline.hidden = true;
}
