import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatAge,
  formatDuration,
  formatNumber,
  formatParam,
  runsTable,
  runsTableChunks,
  entryRows,
  table,
} from '../../../src/core/format';
import { listingTableRows } from '../../../src/cli/commands/runs/list';
import { Listing } from '../../../src/core/store/listing';
import type { MetricSummary, ParamValue, RunEntry } from '../../../src/core/store/types';

// runsTableChunks builds the runs table column by column (shared cells, metric text per column);
// it must print exactly what the plain `table` prints for the same cells, made row by row.

const NOW = Date.UTC(2026, 5, 1, 12);

const summary = (last: number): MetricSummary => ({
  last,
  lastStep: 0,
  min: last,
  max: last,
  count: 1,
  lastTime: 0,
});

function entry(i: number, over: Partial<RunEntry> = {}): RunEntry {
  return {
    id: `01m8wsd1pqg1ex${String(i).padStart(4, '0')}`,
    experiment: `exp${i % 3}`,
    name: `run-${i}`,
    status: 'finished',
    script: null,
    params: { lr: 0.001 * (i % 5), batch: 32 },
    tags: {},
    starred: false,
    startTime: NOW - (i + 1) * 61_000,
    endTime: NOW - (i + 1) * 61_000 + 5_000 + i,
    gitCommit: null,
    metrics: { acc: summary(i / 7), loss: summary(1 / (i + 1)) },
    metricsBytes: 0,
    updatedAt: 0,
    ...over,
  };
}

/** The table as made row by row: every cell a string, then `table`. */
function reference(entries: RunEntry[], paramKeys: string[], metricKeys: string[]): string {
  const header = ['ID', 'NAME', 'EXPERIMENT', 'STATUS', 'STARTED', 'DURATION', ...paramKeys, ...metricKeys];
  const rows = entries.map((e) => [
    e.id,
    e.starred ? `★ ${e.name}` : e.name,
    e.experiment,
    e.status === 'unreadable' ? `unreadable: ${e.error ?? ''}` : e.status,
    e.startTime ? formatAge(e.startTime, NOW) : '',
    e.startTime ? formatDuration((e.endTime ?? NOW) - e.startTime) : '',
    ...paramKeys.map((k) => formatParam(Object.hasOwn(e.params, k) ? e.params[k] : undefined)),
    ...metricKeys.map((k) => (Object.hasOwn(e.metrics, k) ? formatNumber(e.metrics[k].last) : '')),
  ]);
  return table(header, rows);
}

test('runs table: plain runs print as the row-by-row table, across chunk boundaries', () => {
  const entries = Array.from({ length: 2500 }, (_, i) => entry(i));
  const expected = reference(entries, ['lr'], ['acc', 'loss']);
  assert.equal(runsTable(entries, NOW), expected);
  const chunks = [...runsTableChunks(entryRows(entries), NOW, 700)];
  assert.equal(chunks.length, 4); // 2,501 lines in pieces of 700
  assert.equal(chunks.join('\n'), expected);
  assert.equal(chunks[0].split('\n').length, 700);
});

test('runs table: escaped, cut, starred, unreadable and non-finite cells; numeric-looking text params', () => {
  const entries = [
    entry(0, { name: 'tab\there \x1b[2J', starred: true }),
    entry(1, { name: 'x'.repeat(80), experiment: 'ünïcode ✓' }),
    entry(2, {
      status: 'unreadable',
      error: 'run.json: Unexpected token } in JSON at position 7',
      startTime: 0,
      endTime: null,
      params: {},
      metrics: {},
    }),
    entry(3, {
      status: 'running',
      endTime: null,
      params: { lr: NaN, batch: 32, opt: '1e5' },
      metrics: { acc: summary(NaN), loss: summary(Infinity) },
    }),
    entry(4, {
      params: { lr: null as unknown as ParamValue, batch: 32, opt: '2' },
      metrics: { acc: summary(-Infinity) },
    }),
    entry(5, {
      params: { lr: 123456789, batch: 32, opt: 'line\nbreak' },
      metrics: { loss: summary(-0.000012345678) },
    }),
  ];
  assert.equal(runsTable(entries, NOW), reference(entries, ['batch', 'lr', 'opt'], ['acc', 'loss']));
  // a text param whose values all look like numbers is right-aligned, as `table` does
  const numericText = [
    entry(0, { params: { opt: '1e5' } }),
    entry(1, { params: { opt: '-2.5' } }),
    entry(2, { params: {} }),
  ];
  assert.equal(runsTable(numericText, NOW), reference(numericText, ['opt'], ['acc', 'loss']));
});

test('runs table: a NaN param and a null param are two values (the column is shown)', () => {
  const entries = [
    entry(0, { params: { p: NaN } }),
    entry(1, { params: { p: null as unknown as ParamValue } }),
  ];
  const header = runsTable(entries, NOW).split('\n')[0].trim().split(/\s+/);
  assert.ok(header.includes('p'), header.join(' '));
});

test('runs table: no runs gives the header alone', () => {
  assert.equal(runsTable([], NOW), reference([], [], []));
});

/** Runs with every kind of cell: the listing's column reads must print what the entries print. */
function variedEntries(): RunEntry[] {
  const numbers = [
    NaN,
    Infinity,
    -Infinity,
    0,
    -0,
    -1.5,
    1e-9,
    -1.2345678e-7,
    0.000999995,
    0.00123449,
    999999.5,
    -999999.4,
    123456789.123,
    1e21,
    -5e300,
    0.1 + 0.2,
    1e15 + 2,
    2 ** 53,
  ];
  const names = [
    'plain',
    'ünïcode ✓',
    '日本語の名前',
    'tab\there',
    'y'.repeat(75),
    'trailing   ',
    '   ',
    'nbsp\u00a0',
    '🚀',
    '-1.5',
    '',
  ];
  const params: Record<string, ParamValue>[] = [
    { lr: 0.001, batch: 32 },
    { lr: NaN, batch: 32, opt: '1e5' },
    { lr: null as unknown as ParamValue, batch: 32, opt: 'line\nbreak' },
    { batch: 32, opt: 'z'.repeat(70), wide: 'ω' },
    { lr: -2, batch: 32, opt: true as unknown as ParamValue, blank: ' ' },
    { lr: '0.1', batch: 32, blank: '' },
  ];
  const starts = [
    NOW - 5_000,
    NOW - 3 * 3600_000,
    NOW - 8 * 86400_000,
    NOW - 400 * 86400_000,
    NOW + 60_000,
    0,
  ];
  return Array.from({ length: 300 }, (_, i) => {
    const metrics: Record<string, MetricSummary> = {};
    if (i % 3) metrics.acc = summary(numbers[i % numbers.length]);
    if (i % 4) metrics.loss = summary(numbers[(i * 7) % numbers.length] * (i % 2 ? 1 : -1));
    if (i % 5 === 0) metrics['system/cpu_percent'] = summary(i);
    if (i % 9 === 0) metrics['Ω'] = summary(i / 3);
    return entry(i, {
      name: names[i % names.length],
      experiment: i % 7 ? `exp${i % 3}` : 'ëxp ' + 'x'.repeat(70),
      starred: i % 10 === 1,
      status: i % 37 === 0 ? 'unreadable' : i % 11 === 0 ? 'running' : 'finished',
      error: i % 37 === 0 ? `run.json: broken ${i % 2}` : undefined,
      startTime: starts[i % starts.length] - i,
      endTime: i % 11 === 0 ? null : starts[i % starts.length] + i * 997,
      params: params[i % params.length],
      metrics,
    });
  });
}

test('runs table: the listing index prints what the index entries print (every kind of cell)', () => {
  const entries = variedEntries();
  const cases: RunEntry[][] = [
    entries,
    entries.filter((_, i) => i % 2 === 0),
    entries.slice(0, 1),
    entries.filter((e) => e.params.batch === 32 && e.metrics.acc),
    // lines of three-byte characters only: more bytes than a chunk of ASCII lines holds
    entries.map((e, i) => ({ ...e, name: '日本語'.repeat(20), experiment: 'ë'.repeat(i % 61) })),
    [],
  ];
  for (const chosen of cases) {
    const listing = Listing.of(chosen, { index: null, runsDir: null, changes: null });
    const rows = chosen.map((e) => listing.rowOf(e.id)!);
    const fromEntries = [...runsTableChunks(entryRows(chosen), NOW, 37)].join('\n');
    const fromListing = [...runsTableChunks(listingTableRows(listing, rows), NOW, 37)].join('\n');
    assert.equal(fromListing, fromEntries);
    // the columns chosen (params and metrics have no names in common here), then the cells row by row
    const shown = fromEntries.split('\n')[0].trim().split(/\s+/).slice(6);
    const isMetric = (k: string) => chosen.some((e) => Object.hasOwn(e.metrics, k));
    const metricKeys = shown.filter(isMetric);
    const params = shown.filter((k) => !isMetric(k));
    assert.equal(fromEntries, reference(chosen, params, metricKeys));
  }
});
