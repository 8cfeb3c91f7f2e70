import { el } from '../shared/dom';

/** The page's fixed parts, filled by `render`. */
export const page = {
  header: el('header', { class: 'summary' }),
  notices: el('div', { class: 'notices', role: 'status' }),
  cards: el('section', { class: 'cards', 'aria-label': 'Metrics' }),
  content: el('div', { class: 'content' }),
};

/** Put the page's fixed parts in the document. */
export function mountPage(): void {
  document.body.append(page.header, page.notices, page.cards, page.content);
}
