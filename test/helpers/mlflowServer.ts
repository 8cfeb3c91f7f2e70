// A real MLflow 2.12.2 tracking server for the sync tests: the one the `sync` tier started
// (RUNLENS_MLFLOW_URI and RUNLENS_MLFLOW_PYTHONPATH), or one started here with
// scripts/services/mlflow-up.sh and stopped when the process exits.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot, tempDir } from './tmp';

export interface MlflowServer {
  uri: string;
  pythonPath: string;
  dir: string | undefined;
  port: number;
  stop(): void;
  restart(): void;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function up(dir: string, port: number): { uri: string; pythonPath: string } {
  const r = spawnSync('bash', [path.join(repoRoot, 'scripts/services/mlflow-up.sh'), dir, String(port)], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`mlflow-up.sh failed (${r.status}): ${r.stderr}\n${r.stdout}`);
  const uri = /^MLFLOW_TRACKING_URI=(.*)$/m.exec(r.stdout)?.[1];
  const pythonPath = /^MLFLOW_PYTHONPATH=(.*)$/m.exec(r.stdout)?.[1];
  if (!uri || !pythonPath) throw new Error(`mlflow-up.sh printed no URI: ${r.stdout}`);
  return { uri, pythonPath };
}

function down(dir: string): void {
  spawnSync('bash', [path.join(repoRoot, 'scripts/services/mlflow-down.sh'), dir], { stdio: 'ignore' });
}

/** Start a server of our own (in a fresh folder on a free port); stopped at exit. */
export async function startMlflow(): Promise<MlflowServer> {
  // Not a tempDir(): that one is removed at exit before this server would be stopped by its pid file.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-mlflow-'));
  const port = await freePort();
  process.on('exit', () => {
    down(dir);
    if (!process.env.RUNLENS_KEEP_TEST_DIRS) fs.rmSync(dir, { recursive: true, force: true });
  });
  const { uri, pythonPath } = up(dir, port);
  return {
    uri,
    pythonPath,
    dir,
    port,
    stop: () => down(dir),
    restart: () => {
      up(dir, port);
    },
  };
}

let shared: Promise<MlflowServer> | undefined;

/** The tier's server when it started one, else one of our own for this test file. */
export function mlflowServer(): Promise<MlflowServer> {
  const uri = process.env.RUNLENS_MLFLOW_URI;
  const pythonPath = process.env.RUNLENS_MLFLOW_PYTHONPATH;
  if (uri && pythonPath) {
    const port = Number(new URL(uri).port);
    const noop = () => {
      throw new Error('the shared server is not stopped by tests');
    };
    return Promise.resolve({ uri, pythonPath, dir: undefined, port, stop: noop, restart: noop });
  }
  shared ??= startMlflow();
  return shared;
}

export interface ReadBackRun {
  experiment: string;
  name: string;
  status: string;
  start_time: number;
  end_time: number | null;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, { step: number; timestamp: number; value: number | string }[]>;
  artifacts: Record<string, { size: number; sha256: string }>;
}

/** Read runs back with MLflow's own Python client (MlflowClient.get_run, get_metric_history, list_artifacts). */
export function readBack(server: MlflowServer, runIds: string[]): Record<string, ReadBackRun> {
  const out = path.join(tempDir('runlens-readback-'), 'out.json');
  const r = spawnSync(
    '/usr/bin/python3',
    [path.join(repoRoot, 'test/reference/mlflow_readback.py'), ...runIds],
    {
      encoding: 'utf8',
      env: { ...process.env, MLFLOW_TRACKING_URI: server.uri, PYTHONPATH: server.pythonPath },
      maxBuffer: 1 << 30,
      stdio: ['ignore', fs.openSync(out, 'w'), 'pipe'],
    },
  );
  if (r.status !== 0) throw new Error(`mlflow_readback.py failed: ${r.stderr}`);
  return JSON.parse(fs.readFileSync(out, 'utf8'));
}

/** Run a Python snippet with MLflow's client against the server; returns its standard output. */
export function mlflowPython(server: MlflowServer, code: string): string {
  const r = spawnSync('/usr/bin/python3', ['-c', code], {
    encoding: 'utf8',
    env: { ...process.env, MLFLOW_TRACKING_URI: server.uri, PYTHONPATH: server.pythonPath },
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return r.stdout;
}
