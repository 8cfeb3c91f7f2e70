import * as fs from 'node:fs';
import * as path from 'node:path';
import { newRunId } from '../../src/core/store/ids';
import { METRICS_HEADER, foldSummary, formatPoint } from '../../src/core/store/metrics';
import { RUN_SCHEMA_VERSION } from '../../src/core/store/runFile';
import { Store } from '../../src/core/store/store';
import type { MetricSummary, RunRecord } from '../../src/core/store/types';

const KEYS = ['loss', 'val_loss', 'acc', 'val_acc', 'lr'];

/**
 * A store at DIR/.runlens of `runs` finished runs (5 params, 5 metrics x 100 points, seeded values),
 * written file by file the way a finished run leaves them: run.json, metrics.jsonl, an artifacts
 * folder, no index entry yet. `withSummary: false` leaves run.json without its summary, as crashed or
 * foreign runs are.
 */
export function writeSyntheticStore(dir: string, runs: number, { withSummary = true } = {}): Store {
  const store = Store.open(path.join(dir, '.runlens'), { create: true });
  const t0 = Date.now() - runs * 1000;
  let seed = 1;
  const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  for (let i = 0; i < runs; i++) {
    const id = newRunId(t0 + i * 1000);
    const runDir = store.runDir(id);
    fs.mkdirSync(path.join(runDir, 'artifacts'), { recursive: true });
    const lines = [METRICS_HEADER];
    const summary: Record<string, MetricSummary> = {};
    for (let step = 0; step < 100; step++) {
      for (const key of KEYS) {
        const p = { key, value: random(), step, time: t0 + i * 1000 + step };
        lines.push(formatPoint(p));
        foldSummary(summary, p);
      }
    }
    fs.writeFileSync(path.join(runDir, 'metrics.jsonl'), lines.join('\n') + '\n');
    const run: RunRecord = {
      schemaVersion: RUN_SCHEMA_VERSION,
      id,
      experiment: `exp${i % 10}`,
      name: `run-${i}`,
      status: 'finished',
      command: ['python', 'train.py'],
      cwd: dir,
      script: 'train.py',
      params: {
        lr: 0.001 * (i % 7),
        batch: 32,
        layers: i % 4,
        dropout: 0.1,
        optimizer: i % 3 ? 'adam' : 'sgd',
      },
      tags: {},
      starred: false,
      startTime: t0 + i * 1000,
      endTime: t0 + i * 1000 + 500,
      exitCode: 0,
      pid: 1,
      host: 'bench',
      git: null,
      environment: { os: 'linux', arch: 'x64' },
      inputs: [],
      summary: withSummary ? summary : null,
      note: null,
      updatedAt: t0 + i * 1000,
    };
    fs.writeFileSync(path.join(runDir, 'run.json'), JSON.stringify(run, null, 2));
  }
  return store;
}
