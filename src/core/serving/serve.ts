/**
 * Run a model package's server as a child process and check it against in-process predictions.
 * The API the CLI (`runlens serve`) and the extension use:
 *   const s = await startServer(dir, { port, host });   // s.url, s.predictUrl, s.backend, s.pid
 *   const r = await smokeTest(s);                         // served vs in-process predictions
 *   await s.stop();                                       // SIGTERM: drains in-flight requests
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunlensError } from '../errors';
import { loadPredictor } from '../model/predictor';
import type { PackageManifest } from './manifest';
import { MANIFEST_FILE } from './manifest';

export interface ServerHandle {
  dir: string;
  url: string;
  predictUrl: string;
  model: string;
  backend: string;
  backendDescription: string;
  logFile: string;
  pid: number;
  child: ChildProcess;
  /** Resolves with the exit code when the server process ends. */
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

export interface ServeOptions {
  port?: number;
  host?: string;
  env?: NodeJS.ProcessEnv;
  /** Where to see the server's stderr lines. */
  onStderr?: (line: string) => void;
}

export function readManifest(dir: string): PackageManifest {
  const file = path.join(dir, MANIFEST_FILE);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as PackageManifest;
  } catch (e) {
    throw new RunlensError(
      `${file}: ${e instanceof Error ? e.message : String(e)}`,
      'DIR must be a folder made by `runlens package`',
      'notFound',
    );
  }
}

/** node_modules holding Runlens's TensorFlow.js, for packages that have none of their own. */
function tfNodePath(): string | undefined {
  for (const base of [process.cwd(), __dirname]) {
    try {
      const pkg = require.resolve('@tensorflow/tfjs/package.json', { paths: [base] });
      return path.resolve(path.dirname(pkg), '..', '..');
    } catch {
      // not there
    }
  }
  return undefined;
}

export async function startServer(dir: string, o: ServeOptions = {}): Promise<ServerHandle> {
  dir = path.resolve(dir);
  const manifest = readManifest(dir);
  const nodePath = [tfNodePath(), process.env.NODE_PATH].filter(Boolean).join(path.delimiter);
  const child = spawn(process.execPath, [path.join(dir, 'server.js')], {
    cwd: dir,
    env: {
      ...process.env,
      ...o.env,
      HOST: o.host ?? '127.0.0.1',
      PORT: String(o.port ?? 8080),
      NODE_PATH: nodePath,
      // The server stops when this process is gone, even SIGKILLed: it watches its stdin pipe.
      RUNLENS_EXIT_WITH_PARENT: '1',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    stderr += d;
    for (const l of d.split('\n')) if (l.trim()) o.onStderr?.(l);
  });
  const info = await new Promise<Record<string, string>>((resolve, reject) => {
    let buf = '';
    child.stdout.setEncoding('utf8');
    const onData = (d: string) => {
      buf += d;
      for (const line of buf.split('\n').slice(0, -1)) {
        try {
          const j = JSON.parse(line) as Record<string, string>;
          if (j.event === 'listening') {
            child.stdout.off('data', onData);
            child.stdout.resume();
            resolve(j);
            return;
          }
        } catch {
          // not a JSON line
        }
      }
    };
    child.stdout.on('data', onData);
    void exited.then((code) =>
      reject(
        new RunlensError(
          `the server in ${dir} exited with ${code} before listening: ${stderr.trim().split('\n').slice(-3).join(' ')}`,
          undefined,
          'io',
        ),
      ),
    );
  });
  return {
    dir,
    url: info.url,
    predictUrl: `${info.url}/v1/models/${manifest.name}:predict`,
    model: manifest.name,
    backend: info.backend,
    backendDescription: info.backendDescription,
    logFile: info.log,
    pid: child.pid ?? -1,
    child,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

export interface SmokeResult {
  rows: number;
  source: string;
  /** Largest absolute difference between a served score and the in-process score. */
  maxDifference: number;
  /** Rows whose predicted label differs. */
  labelMismatches: number;
  localBackend: string;
  servedBackend: string;
  ok: boolean;
  tolerance: number;
}

/**
 * Sends the package's evaluation rows (smoke.json) to the server and compares them with the same
 * rows predicted in this process by the same model files; ok when every score is within tolerance.
 */
export async function smokeTest(
  s: ServerHandle,
  o: { token?: string; tolerance?: number } = {},
): Promise<SmokeResult> {
  const manifest = readManifest(s.dir);
  if (!manifest.smoke) {
    throw new RunlensError(
      `${s.dir} has no smoke-test rows`,
      'package a run that records its data file as an input (runlens run --input FILE)',
      'notFound',
    );
  }
  const rows = JSON.parse(fs.readFileSync(path.join(s.dir, manifest.smoke.file), 'utf8')) as Record<
    string,
    unknown
  >[];
  const predictor = await loadPredictor(path.join(s.dir, manifest.modelDir));
  const local = predictor.predict(rows);
  predictor.dispose();
  const res = await fetch(s.predictUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
    },
    body: JSON.stringify({ instances: rows }),
  });
  const body = (await res.json()) as { predictions?: number[][]; labels?: unknown[]; error?: string };
  if (res.status !== 200 || !body.predictions) {
    throw new RunlensError(
      `smoke test: ${s.predictUrl} answered ${res.status}: ${body.error ?? JSON.stringify(body)}`,
      undefined,
      'io',
    );
  }
  let maxDifference = 0;
  let labelMismatches = 0;
  local.scores.forEach((row, i) => {
    row.forEach((v, j) => {
      const d = Math.abs(v - (body.predictions?.[i]?.[j] ?? NaN));
      maxDifference = Number.isNaN(d) ? Infinity : Math.max(maxDifference, d);
    });
    if (local.predictions[i] !== body.labels?.[i]) labelMismatches++;
  });
  const tolerance = o.tolerance ?? 1e-5;
  return {
    rows: rows.length,
    source: manifest.smoke.source,
    maxDifference,
    labelMismatches,
    localBackend: predictor.backend,
    servedBackend: s.backend,
    ok: maxDifference <= tolerance && labelMismatches === 0,
    tolerance,
  };
}
