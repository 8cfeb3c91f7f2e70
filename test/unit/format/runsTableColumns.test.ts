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
