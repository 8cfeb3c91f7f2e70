// Compare a local run with what a server holds (read back by MLflow's Python client), point by point.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { paramText } from '../../src/core/importers/common';
import { mlflowStatusOf } from '../../src/core/importers/mlflowFormat';
import { scanMetrics } from '../../src/core/store/metrics';
import type { Store } from '../../src/core/store/store';
import { tagsFor } from '../../src/core/sync/push';
import type { ReadBackRun } from './mlflowServer';

export type Pt = [step: number, time: number, value: number];

export function num(v: number | string): number {
  if (typeof v === 'number') return v;
  return v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : Number(v);
}

export function sortPts(pts: Pt[]): Pt[] {
  return pts.sort((a, b) => a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0));
}

/** Every point of a local run, per key, sorted by step, time, value. */
export function localSeries(store: Store, id: string): Record<string, Pt[]> {
  const out: Record<string, Pt[]> = {};
  scanMetrics(store.metricsFile(id), (p) => (out[p.key] ??= []).push([p.step, Math.round(p.time), p.value]));
  for (const k of Object.keys(out)) sortPts(out[k]);
  return out;
}

/**
 * MLflow's SQL store (the server's database backend) keeps ±Infinity as ±1.7976931348623157e308
 * (sqlalchemy_store.py clips them): the one value the server changes, and the push warns about it.
 */
export function asSqlStoreKeeps(series: Record<string, Pt[]>): Record<string, Pt[]> {
  const out: Record<string, Pt[]> = {};
  for (const [k, pts] of Object.entries(series)) {
    out[k] = sortPts(
      pts.map(([s, t, v]) => [
        s,
        t,
        v === Infinity ? Number.MAX_VALUE : v === -Infinity ? -Number.MAX_VALUE : v,
      ]),
    );
  }
  return out;
}

export function remoteSeries(r: ReadBackRun): Record<string, Pt[]> {
  const out: Record<string, Pt[]> = {};
  for (const [k, pts] of Object.entries(r.metrics))
    out[k] = sortPts(pts.map((m) => [m.step, m.timestamp, num(m.value)]));
  return out;
}

/** Series equal point for point (NaN equal to NaN, values bit for bit: they are doubles both ways). */
export function assertSeriesEqual(a: Record<string, Pt[]>, b: Record<string, Pt[]>, what: string): number {
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort(), `${what}: metric keys`);
  let n = 0;
  for (const k of Object.keys(a)) {
    assert.equal(a[k].length, b[k].length, `${what}: number of points of ${k}`);
    for (let i = 0; i < a[k].length; i++) {
      const [x, y] = [a[k][i], b[k][i]];
      assert.ok(
        x[0] === y[0] && x[1] === y[1] && Object.is(x[2], y[2]),
        `${what}: ${k}[${i}] differs: ${JSON.stringify(x.map(String))} vs ${JSON.stringify(y.map(String))}`,
      );
      n++;
    }
  }
  return n;
}

function localArtifacts(dir: string, prefix = ''): Record<string, { size: number; sha256: string }> {
  const out: Record<string, { size: number; sha256: string }> = {};
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(out, localArtifacts(path.join(dir, e.name), rel));
    else {
      const data = fs.readFileSync(path.join(dir, e.name));
      out[rel] = { size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
    }
  }
  return out;
}

/** Every field the push sends, compared with the server's copy; returns the number of points compared. */
export function assertPushed(store: Store, id: string, r: ReadBackRun): number {
  const run = store.getRun(id);
  assert.equal(r.experiment, run.experiment);
  assert.equal(r.name, run.name);
  assert.equal(r.status, mlflowStatusOf(run.status).text);
  assert.equal(r.start_time, Math.round(run.startTime));
  if (run.endTime !== null && run.status !== 'running') assert.equal(r.end_time, Math.round(run.endTime));
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(run.params)) params[k] = paramText(v);
  assert.deepEqual(r.params, params, 'params');
  assert.deepEqual(r.tags, tagsFor(run), 'tags');
  assert.deepEqual(r.artifacts, localArtifacts(path.join(store.runDir(id), 'artifacts')), 'artifacts');
  return assertSeriesEqual(asSqlStoreKeeps(localSeries(store, id)), remoteSeries(r), `run ${id}`);
}
