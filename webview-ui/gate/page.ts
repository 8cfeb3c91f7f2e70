import { el } from '../shared/dom';

/** The page's fixed parts, filled by `render`. */
export const page = {
  verdict: el('section', { class: 'verdict', role: 'status', 'aria-live': 'polite' }),
  copyButton: el('button', { type: 'button', id: 'copy', text: 'Copy Markdown' }),
  baselineButton: el('button', { type: 'button', id: 'baseline', text: 'Change Baseline…' }),
  evaluateButton: el('button', { type: 'button', id: 'evaluate', text: 'Evaluate Candidate…' }),
  notices: el('div', { class: 'notices', role: 'status' }),
  table: el('table', { class: 'gate' }),
  charts: el('div', { class: 'charts' }),
};

/** Put the page's fixed parts in the document; the Evaluate button waits for an incomplete verdict. */
export function mountPage(): void {
  page.evaluateButton.hidden = true;
  document.body.append(
    page.verdict,
    el(
      'div',
      { class: 'toolbar', role: 'toolbar', 'aria-label': 'Gate actions' },
      page.evaluateButton,
      page.copyButton,
      page.baselineButton,
    ),
    page.notices,
    el('div', { class: 'table-wrap' }, page.table),
    page.charts,
  );
}
