import { groupMetrics, matchesFilter } from '../../src/core/charts/metricGroups';
import type { MetricGroup } from '../../src/core/charts/metricGroups';
import { el, plural } from '../shared/dom';
import { filterStatus, grid } from './page';
import { saveState, state, views } from './state';

/** A section of charts: a heading with a button that collapses it, and its own grid of cards. */
interface Section {
  group: MetricGroup;
  root: HTMLElement;
  button: HTMLButtonElement;
  title: HTMLElement;
  count: HTMLElement;
  body: HTMLElement;
}

/** Sections by id: the prefix, '' for the ungrouped metrics. */
const sections = new Map<string, Section>();
const sectionOf = new Map<string, Section>();
let sectionIds = 0;

function idOf(g: MetricGroup): string {
  return g.prefix ?? '';
}

function createSection(id: string): Section {
  const body = el('div', { class: 'charts', id: `section-${++sectionIds}` });
  const title = el('span', { class: 'name' });
  const count = el('span', { class: 'count muted' });
  const button = el(
    'button',
    { type: 'button', class: 'section-toggle', 'aria-controls': body.id },
    el('span', { class: 'chevron', 'aria-hidden': 'true' }),
    title,
    count,
  );
  const s: Section = {
    group: { prefix: id || null, keys: [] },
    root: el('section', { class: 'group' }, el('h2', {}, button), body),
    button,
    title,
    count,
    body,
  };
  button.addEventListener('click', () => {
    state.collapsed = state.collapsed.includes(id)
      ? state.collapsed.filter((c) => c !== id)
      : [...state.collapsed, id];
    saveState();
    applyFilter();
  });
  return s;
}

/** Lay out the sections for these metric keys (in order), keeping the ones that stay. */
export function planSections(keys: string[]): void {
  const groups = groupMetrics(keys);
  const wanted = new Set(groups.map(idOf));
  for (const [id, s] of sections) {
    if (wanted.has(id)) continue;
    s.root.remove();
    sections.delete(id);
  }
  sectionOf.clear();
  for (const g of groups) {
    const id = idOf(g);
    let s = sections.get(id);
    if (!s) {
      s = createSection(id);
      sections.set(id, s);
    }
    s.group = g;
    s.title.textContent = g.prefix ?? (groups.length > 1 ? 'Other' : 'All metrics');
    for (const k of g.keys) sectionOf.set(k, s);
    grid.append(s.root);
  }
}

/** The grid a metric's card goes in (planSections first). */
export function bodyFor(key: string): HTMLElement {
  return sectionOf.get(key)?.body ?? grid;
}

/**
 * Show the cards whose metric passes the name filter, each section's count (of all, or of those
 * passing), hide sections with none, and fold the collapsed ones.
 */
export function applyFilter(): void {
  const q = state.filter;
  let total = 0;
  let shown = 0;
  for (const [id, s] of sections) {
    let n = 0;
    for (const key of s.group.keys) {
      const v = views.get(key);
      const pass = matchesFilter(key, q);
      if (v) v.card.hidden = !pass;
      if (pass) n++;
    }
    total += s.group.keys.length;
    shown += n;
    const all = s.group.keys.length;
    s.count.textContent = n === all ? plural(all, 'metric') : `${n} of ${plural(all, 'metric')}`;
    const open = !state.collapsed.includes(id);
    s.button.setAttribute('aria-expanded', String(open));
    s.body.hidden = !open;
    s.root.hidden = n === 0;
  }
  filterStatus.textContent = !q.trim()
    ? ''
    : shown === 0
      ? `No metric name matches "${q.trim()}" (${plural(total, 'metric')} in all).`
      : `${shown} of ${plural(total, 'metric')} match.`;
}
