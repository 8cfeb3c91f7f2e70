import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Database, SqlJsStatic, SqlValue } from 'sql.js';
import { RunlensError, errorMessage } from '../errors';
import type { ImportWarning } from './common';
import type { MlflowDataset, MlflowExperiment, MlflowRun } from './mlflowFormat';
import { localPathOfUri, mlflowStatusText } from './mlflowFormat';
import type { MlflowFileStoreExperiment } from './mlflowFiles';

let sqlJs: Promise<SqlJsStatic> | undefined;

/**
 * Where sql.js's WebAssembly file is: the package in node_modules (development, tests, the CLI run
 * from the repository), else next to the bundle (a packaged extension that ships it in dist/).
 */
export function sqlWasmPath(): string {
  const candidates: string[] = [];
  try {
    candidates.push(require.resolve('sql.js/dist/sql-wasm.wasm'));
  } catch {
    /* not resolvable from here: bundled without node_modules */
  }
  candidates.push(
    path.join(__dirname, 'sql-wasm.wasm'),
    path.join(__dirname, '..', 'node_modules', 'sql.js', 'dist', 'sql-wasm.wasm'),
  );
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) {
    throw new RunlensError(
      `cannot find sql-wasm.wasm (looked in ${candidates.join(', ')})`,
      'reinstall Runlens (the sql.js package provides it)',
      'io',
    );
  }
  return found;
}

/** sql.js (SQLite compiled to WebAssembly): works in the CLI and in the VS Code extension host alike. */
export function loadSqlJs(): Promise<SqlJsStatic> {
  sqlJs ??= (async () => {
    const mod = await import('sql.js');
    const init = (mod as unknown as { default?: typeof mod }).default ?? mod;
    const bytes = fs.readFileSync(sqlWasmPath());
    const wasmBinary = bytes.buffer.slice(
      bytes.byteOffset,
      bytes.byteOffset + bytes.byteLength,
    ) as ArrayBuffer;
    return (init as unknown as (config: { wasmBinary: ArrayBuffer }) => Promise<SqlJsStatic>)({ wasmBinary });
  })();
  sqlJs.catch(() => (sqlJs = undefined));
  return sqlJs;
}

function rows(db: Database, sql: string, params: SqlValue[] = []): Record<string, SqlValue>[] {
  const stmt = db.prepare(sql);
  try {
    stmt.bind(params);
    const out: Record<string, SqlValue>[] = [];
    while (stmt.step()) out.push(stmt.getAsObject());
    return out;
  } finally {
    stmt.free();
  }
}

function tableColumns(db: Database, table: string): Set<string> {
  return new Set(rows(db, `PRAGMA table_info(${table})`).map((r) => String(r.name)));
}

function text(v: SqlValue | undefined): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return String(v);
}

function num(v: SqlValue | undefined): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/**
 * MLflow's SQL store keeps NaN as value 0 with is_nan 1, and infinities as ±1.7976931348623157e308
 * (the largest double); both are read back as NaN and ±Infinity.
 */
function metricValue(value: SqlValue, isNan: SqlValue): number {
  if (isNan === 1 || isNan === '1' || isNan === 'true') return NaN;
  const v = Number(value);
  if (v === Number.MAX_VALUE) return Infinity;
  if (v === -Number.MAX_VALUE) return -Infinity;
  return v;
}

/** Read an MLflow tracking database (mlflow.db, SQLAlchemy store) with the same shape as a file store. */
export async function readMlflowSqlite(
  dbFile: string,
  warnings: ImportWarning[],
): Promise<{ experiments: MlflowFileStoreExperiment[]; close: () => void }> {
  const SQL = await loadSqlJs();
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(dbFile);
  } catch (e) {
    throw new RunlensError(`cannot read ${dbFile}: ${errorMessage(e)}`, undefined, 'io');
  }
  const wal = fs.statSync(dbFile + '-wal', { throwIfNoEntry: false });
  if (wal && wal.size > 0) {
    warnings.push({
      file: dbFile + '-wal',
      message:
        'the database has a write-ahead log that is not checkpointed: changes in it are not read (stop the MLflow server, or run `sqlite3 mlflow.db "PRAGMA wal_checkpoint"`)',
    });
  }
  let db: Database;
  try {
    db = new SQL.Database(bytes);
    rows(db, 'SELECT name FROM sqlite_master LIMIT 1');
  } catch (e) {
    throw new RunlensError(`${dbFile} is not an SQLite database: ${errorMessage(e)}`, undefined, 'data');
  }
  const tables = new Set(
    rows(db, "SELECT name FROM sqlite_master WHERE type='table'").map((r) => String(r.name)),
  );
  for (const t of ['experiments', 'runs']) {
    if (!tables.has(t)) {
      db.close();
      throw new RunlensError(
        `${dbFile} has no "${t}" table: it is not an MLflow tracking database`,
        'pass the mlflow.db that `mlflow server --backend-store-uri sqlite:///mlflow.db` uses',
        'data',
      );
    }
  }
  const baseDir = path.dirname(path.resolve(dbFile));

  const byRun = (table: string): Map<string, Record<string, string>> => {
    const out = new Map<string, Record<string, string>>();
    if (!tables.has(table)) return out;
    for (const r of rows(db, `SELECT key, value, run_uuid FROM ${table} ORDER BY run_uuid, key`)) {
      const id = text(r.run_uuid);
      let m = out.get(id);
      if (!m) out.set(id, (m = {}));
      m[text(r.key)] = text(r.value);
    }
    return out;
  };
  const params = byRun('params');
  const tags = byRun('tags');
  const datasets = new Map<string, MlflowDataset[]>();
  if (tables.has('inputs') && tables.has('datasets')) {
    for (const r of rows(
      db,
      `SELECT i.destination_id AS run_uuid, d.name AS name, d.digest AS digest
         FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id
        WHERE i.source_type = 'DATASET' AND i.destination_type = 'RUN'
        ORDER BY i.destination_id, d.name`,
    )) {
      const id = text(r.run_uuid);
      const list = datasets.get(id) ?? [];
      list.push({ name: text(r.name), digest: text(r.digest) });
      datasets.set(id, list);
    }
  }
  const metricCols = tables.has('metrics') ? tableColumns(db, 'metrics') : new Set<string>();
  const metricSql = `SELECT key, value, timestamp, ${metricCols.has('step') ? 'step' : '0 AS step'}, ${
    metricCols.has('is_nan') ? 'is_nan' : '0 AS is_nan'
  } FROM metrics WHERE run_uuid = ? ORDER BY key, timestamp, step`;

  const experiments: MlflowFileStoreExperiment[] = [];
  const byId = new Map<string, MlflowFileStoreExperiment>();
  for (const r of rows(db, 'SELECT * FROM experiments ORDER BY experiment_id')) {
    const experiment: MlflowExperiment = {
      id: text(r.experiment_id),
      name: text(r.name) || text(r.experiment_id),
      lifecycleStage: text(r.lifecycle_stage) || 'active',
      artifactLocation: text(r.artifact_location),
      creationTime: num(r.creation_time),
    };
    const entry = { experiment, runs: [] };
    experiments.push(entry);
    byId.set(experiment.id, entry);
  }
  for (const r of rows(db, 'SELECT * FROM runs ORDER BY start_time, run_uuid')) {
    const runId = text(r.run_uuid);
    const exp = byId.get(text(r.experiment_id));
    if (!exp) {
      warnings.push({
        file: dbFile,
        message: `run ${runId} skipped: its experiment ${text(r.experiment_id)} is not in the database`,
      });
      continue;
    }
    const artifactUri = text(r.artifact_uri);
    const local = localPathOfUri(artifactUri);
    const artifactsDir = local === null ? null : path.resolve(baseDir, local);
    const run: MlflowRun = {
      runId,
      experimentId: exp.experiment.id,
      name: text(r.name) || null,
      status: mlflowStatusText(r.status),
      startTime: num(r.start_time),
      endTime: num(r.end_time),
      userId: text(r.user_id),
      sourceName: text(r.source_name),
      lifecycleStage: text(r.lifecycle_stage) || 'active',
      artifactUri,
      artifactsDir: artifactsDir && fs.existsSync(artifactsDir) ? artifactsDir : null,
      params: params.get(runId) ?? {},
      tags: tags.get(runId) ?? {},
      datasets: datasets.get(runId) ?? [],
      location: `${dbFile} (run ${runId})`,
      readMetrics(begin) {
        if (!tables.has('metrics')) return;
        const stmt = db.prepare(metricSql);
        try {
          stmt.bind([runId]);
          let key: string | undefined;
          let sink: ReturnType<typeof begin> | undefined;
          while (stmt.step()) {
            const row = stmt.get();
            const k = text(row[0]);
            if (k !== key || sink === undefined) {
              key = k;
              sink = begin(k);
            }
            const step = Number(row[3] ?? 0);
            const time = Number(row[2] ?? 0);
            sink.point(metricValue(row[1], row[4]), step, time, undefined, undefined, undefined);
          }
        } finally {
          stmt.free();
        }
      },
    };
    exp.runs.push(run);
  }
  return { experiments, close: () => db.close() };
}
