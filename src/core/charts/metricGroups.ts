/**
 * Sections of the metrics panel and its metric-name filter: pure and browser-safe (the webview
 * bundles this file), so the rules are tested in plain Node.
 */
import { SYSTEM_METRIC_PREFIX } from '../store/types';

/** The section of the metrics the launcher samples (system/cpu_percent, ...). */
const SYSTEM_PREFIX = SYSTEM_METRIC_PREFIX.slice(0, -1);

/** One section of charts: the metrics sharing a prefix, or the ungrouped ones (prefix null). */
export interface MetricGroup {
  /** `train` for `train/box_loss`; null for the section of metrics without a shared prefix. */
  prefix: string | null;
  keys: string[];
}

/**
 * The prefix a metric is grouped under: the text before its first `/` (`train` for
 * `train/box_loss`, `system` for `system/gpu0/utilization_percent`), or null for a key with no
 * `/`, a leading `/` or nothing after the `/`.
 */
export function metricPrefix(key: string): string | null {
  const i = key.indexOf('/');
  return i > 0 && i < key.length - 1 ? key.slice(0, i) : null;
}

/**
 * The keys in sections by prefix, in the order the keys come (the panel's keys are sorted), the
 * ungrouped section after them and the launcher's system/ section last (the program's own metrics
 * come first, as in `runlens ls`). A prefix only one key has is no section of its own: that key joins the
 * ungrouped ones (a section of one chart is a header more to read, not a group).
 */
export function groupMetrics(keys: readonly string[]): MetricGroup[] {
  const byPrefix = new Map<string, string[]>();
  const ungrouped = new Set<string>();
  for (const key of keys) {
    const p = metricPrefix(key);
    if (p === null) ungrouped.add(key);
    else {
      const list = byPrefix.get(p);
      if (list) list.push(key);
      else byPrefix.set(p, [key]);
    }
  }
  const groups: MetricGroup[] = [];
  const singles = new Set<string>();
  for (const [prefix, list] of byPrefix) {
    if (list.length > 1) groups.push({ prefix, keys: list });
    else singles.add(list[0]);
  }
  // Ungrouped keys keep the order they came in, singles among them.
  const rest = keys.filter((k) => singles.has(k) || ungrouped.has(k));
  if (rest.length) groups.push({ prefix: null, keys: rest });
  const system = groups.findIndex((g) => g.prefix === SYSTEM_PREFIX);
  if (system >= 0) groups.push(...groups.splice(system, 1));
  return groups;
}

/** The words of a filter: split on white space, lower case; an empty filter has none. */
export function filterTerms(query: string): string[] {
  return query.toLowerCase().split(/\s+/).filter(Boolean);
}

/**
 * Whether a metric name passes the filter: every word of the filter occurs in the name, ignoring
 * case (`val loss` keeps `val/box_loss`; `mAP` keeps `metrics/mAP_0.5`). An empty filter keeps all.
 */
export function matchesFilter(key: string, query: string): boolean {
  const name = key.toLowerCase();
  return filterTerms(query).every((t) => name.includes(t));
}
