/**
 * The prediction server of a Runlens model package, bundled by esbuild into the package's server.js
 * (`node server.js` with only @tensorflow/tfjs and the WASM backend installed).
 *
 * Environment: HOST (default 127.0.0.1: loopback only; the Dockerfile and k8s manifests set 0.0.0.0),
 * PORT (default 8080), RUNLENS_SERVE_TOKEN (bearer token for the
 * predict endpoints), RUNLENS_MAX_BODY_BYTES (default 1 MiB), RUNLENS_LOG_DIR (default ./logs),
 * RUNLENS_LOG_SAMPLE (fraction of predictions logged, default 1), RUNLENS_LOG_MAX_BYTES (rotate the
 * JSONL log at this size, default 10 MiB), RUNLENS_LOG_KEEP (rotated files kept, default 5).
 * RUNLENS_EXIT_WITH_PARENT=1 (set by `runlens serve`): stop, as on SIGTERM, when the parent process
 * is gone (its stdin pipe closes or the parent pid changes), even when the parent was SIGKILLed.
 * On start it prints one JSON line {"event":"listening","url":...,"backend":...} to stdout.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { FieldError } from '../model/preprocessing';
import type { Predictor } from '../model/predictor';
import { loadPredictor } from '../model/predictor';
import type { PackageManifest } from './manifest';
import { MANIFEST_FILE, rowsFromTfServing, rowsFromMlflow, RequestError } from './manifest';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

class Metrics {
  private requests = new Map<string, number>();
  private errors = new Map<string, number>();
  private counts = new Map<string, number[]>();
  private sums = new Map<string, number>();
  private predictions = 0;

  observe(endpoint: string, code: number, seconds: number, rows: number): void {
    const key = `endpoint="${endpoint}",code="${code}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    if (code >= 400) this.errors.set(endpoint, (this.errors.get(endpoint) ?? 0) + 1);
    let c = this.counts.get(endpoint);
    if (!c) this.counts.set(endpoint, (c = new Array(BUCKETS.length + 1).fill(0)));
    const i = BUCKETS.findIndex((b) => seconds <= b);
    c[i < 0 ? BUCKETS.length : i]++;
    this.sums.set(endpoint, (this.sums.get(endpoint) ?? 0) + seconds);
    this.predictions += rows;
  }

  text(backend: string): string {
    const out = [
      '# HELP runlens_requests_total HTTP requests by endpoint and status code.',
      '# TYPE runlens_requests_total counter',
      ...[...this.requests].map(([k, v]) => `runlens_requests_total{${k}} ${v}`),
      '# HELP runlens_request_errors_total Requests answered with a 4xx or 5xx status.',
      '# TYPE runlens_request_errors_total counter',
      ...[...this.errors].map(([e, v]) => `runlens_request_errors_total{endpoint="${e}"} ${v}`),
      '# HELP runlens_predictions_total Rows predicted.',
      '# TYPE runlens_predictions_total counter',
      `runlens_predictions_total ${this.predictions}`,
      '# HELP runlens_request_duration_seconds Request latency.',
      '# TYPE runlens_request_duration_seconds histogram',
    ];
    for (const [e, c] of this.counts) {
      let cum = 0;
      BUCKETS.forEach((b, i) => {
        cum += c[i];
        out.push(`runlens_request_duration_seconds_bucket{endpoint="${e}",le="${b}"} ${cum}`);
      });
      cum += c[BUCKETS.length];
      out.push(`runlens_request_duration_seconds_bucket{endpoint="${e}",le="+Inf"} ${cum}`);
      out.push(`runlens_request_duration_seconds_sum{endpoint="${e}"} ${this.sums.get(e)}`);
      out.push(`runlens_request_duration_seconds_count{endpoint="${e}"} ${cum}`);
    }
    out.push(
      '# HELP runlens_backend_info TensorFlow.js backend in use.',
      '# TYPE runlens_backend_info gauge',
    );
    out.push(`runlens_backend_info{backend="${backend}"} 1`);
    return out.join('\n') + '\n';
  }
}

/** Appends prediction records to predictions.jsonl synchronously (no line lost on exit), rotating by size. */
class PredictionLog {
  private size: number;
  readonly file: string;

  constructor(
    dir: string,
    private readonly maxBytes: number,
    private readonly keep: number,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, 'predictions.jsonl');
    this.size = fs.statSync(this.file, { throwIfNoEntry: false })?.size ?? 0;
  }

  write(record: unknown): void {
    const line = JSON.stringify(record) + '\n';
    const bytes = Buffer.byteLength(line);
    if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
    fs.appendFileSync(this.file, line);
    this.size += bytes;
  }

  private rotate(): void {
    for (let i = this.keep - 1; i >= 1; i--) {
      const from = `${this.file}.${i}`;
      if (fs.existsSync(from)) fs.renameSync(from, `${this.file}.${i + 1}`);
    }
    fs.renameSync(this.file, `${this.file}.1`);
    this.size = 0;
  }
}

function envNumber(name: string, fallback: number): number {
  const v = process.env[name];
  const n = v === undefined || v === '' ? NaN : Number(v);
  return Number.isFinite(n) ? n : fallback;
}

function send(res: http.ServerResponse, code: number, body: unknown, type = 'application/json'): void {
  const text = type === 'application/json' ? JSON.stringify(body) : String(body);
  res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limit) {
      reject(new RequestError(413, `request body of ${declared} bytes is over the limit of ${limit} bytes`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let n = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > limit) over = true;
      else chunks.push(c);
    });
    req.on('end', () =>
      over
        ? reject(new RequestError(413, `request body is over the limit of ${limit} bytes`))
        : resolve(Buffer.concat(chunks)),
    );
    req.on('error', reject);
  });
}

/**
 * Whether an Authorization header carries the bearer token. Compared in constant time (SHA-256
 * digests of both sides, so that neither the content nor the length of the token leaks through
 * timing); the scheme name is case-insensitive (RFC 7235).
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^bearer +(.*)$/i.exec(header ?? '');
  const given = createHash('sha256')
    .update(m ? m[1] : '')
    .digest();
  const want = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, want) && m !== null;
}

export async function startServing(dir: string): Promise<http.Server> {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')) as PackageManifest;
  const predictor: Predictor = await loadPredictor(path.join(dir, manifest.modelDir));
  const name = manifest.name;
  const token = process.env.RUNLENS_SERVE_TOKEN || '';
  const limit = envNumber('RUNLENS_MAX_BODY_BYTES', 1 << 20);
  const sample = Math.min(1, Math.max(0, envNumber('RUNLENS_LOG_SAMPLE', 1)));
  const log = new PredictionLog(
    path.resolve(dir, process.env.RUNLENS_LOG_DIR || 'logs'),
    envNumber('RUNLENS_LOG_MAX_BYTES', 10 << 20),
    Math.max(1, envNumber('RUNLENS_LOG_KEEP', 5)),
  );
  const metrics = new Metrics();
  const features = predictor.preprocessing.features.map((f) => f.name);
  let draining = false;
  let inFlight = 0;

  const predictPath = `/v1/models/${name}:predict`;
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<[string, number]> => {
    const url = (req.url ?? '/').split('?')[0];
    // HEAD is answered wherever GET is (Node sends the headers without the body).
    const get = req.method === 'GET' || req.method === 'HEAD';
    if (get && url === '/healthz') {
      send(res, draining ? 503 : 200, {
        status: draining ? 'draining' : 'ok',
        model: name,
        backend: predictor.backend,
      });
      return ['healthz', res.statusCode];
    }
    if (get && url === '/metrics') {
      send(res, 200, metrics.text(predictor.backend), 'text/plain; version=0.0.4');
      return ['metrics', 200];
    }
    if (get && url === `/v1/models/${name}`) {
      send(res, 200, {
        model_version_status: [
          {
            version: String(manifest.version ?? 1),
            state: 'AVAILABLE',
            status: { error_code: 'OK', error_message: '' },
          },
        ],
        metadata: {
          name,
          sourceRun: manifest.sourceRun,
          gitCommit: manifest.gitCommit,
          inputSchema: manifest.inputSchema,
          labels: manifest.labels,
          backend: predictor.backendDescription,
        },
      });
      return ['status', 200];
    }
    const endpoint = url === predictPath ? 'predict' : url === '/invocations' ? 'invocations' : null;
    if (!endpoint) {
      const known = url.startsWith('/v1/models/') || url === '/invocations';
      send(res, known ? (req.method === 'POST' || req.method === 'GET' ? 404 : 405) : 404, {
        error:
          known && url.startsWith('/v1/models/')
            ? `no model at ${url}; this server serves "${name}"`
            : `no endpoint ${req.method} ${url}`,
      });
      return ['other', res.statusCode];
    }
    if (req.method !== 'POST') {
      send(res, 405, { error: `${url} takes POST` });
      return [endpoint, 405];
    }
    if (token && !bearerMatches(req.headers.authorization, token)) {
      req.resume();
      res.setHeader('www-authenticate', 'Bearer');
      send(res, 401, {
        error: 'missing or wrong bearer token (Authorization: Bearer <RUNLENS_SERVE_TOKEN>)',
      });
      return [endpoint, 401];
    }
    const type = String(req.headers['content-type'] ?? '')
      .split(';')[0]
      .trim()
      .toLowerCase();
    if (type !== 'application/json') {
      req.resume();
      send(res, 415, { error: `content type must be application/json, got ${type || 'none'}` });
      return [endpoint, 415];
    }
    const started = Date.now();
    let body: unknown;
    try {
      const raw = await readBody(req, limit);
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch (e) {
        throw new RequestError(400, `malformed JSON: ${e instanceof Error ? e.message : String(e)}`);
      }
      const parsed =
        endpoint === 'predict' ? rowsFromTfServing(body, features) : rowsFromMlflow(body, features);
      const result = predictor.predict(parsed.rows);
      const id = String(req.headers['x-request-id'] ?? randomUUID());
      res.setHeader('x-request-id', id);
      res.setHeader('x-prediction-rows', String(parsed.rows.length));
      const payload =
        endpoint === 'predict'
          ? {
              [parsed.key === 'inputs' ? 'outputs' : 'predictions']: result.scores,
              labels: result.predictions,
            }
          : { predictions: result.predictions, scores: result.scores };
      // Logged before the answer: a client that saw 200 can rely on the line being on disk.
      if (sample >= 1 || Math.random() < sample) {
        log.write({
          time: started,
          id,
          model: name,
          endpoint,
          inputs: parsed.rows,
          predictions: result.predictions,
          scores: result.scores,
          latencyMs: Date.now() - started,
        });
      }
      send(res, 200, payload);
      return [endpoint, 200];
    } catch (e) {
      if (e instanceof RequestError)
        send(res, e.status, { error: e.message, ...(e.field ? { field: e.field } : {}) });
      else if (e instanceof FieldError) send(res, 400, { error: e.message, field: e.field });
      else send(res, 500, { error: e instanceof Error ? e.message : String(e) });
      return [endpoint, res.statusCode];
    }
  };

  const server = http.createServer((req, res) => {
    const t0 = process.hrtime.bigint();
    inFlight++;
    if (draining) res.setHeader('connection', 'close');
    handle(req, res)
      .catch((e): [string, number] => {
        if (!res.headersSent) send(res, 500, { error: String(e) });
        return ['other', 500];
      })
      .then(([endpoint, code]) => {
        const rows = Number(res.getHeader('x-prediction-rows') ?? 0);
        metrics.observe(endpoint, code, Number(process.hrtime.bigint() - t0) / 1e9, rows);
        inFlight--;
        if (draining) server.closeIdleConnections();
      });
  });
  server.keepAliveTimeout = 5000;

  const host = process.env.HOST || '127.0.0.1';
  const port = envNumber('PORT', 8080);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as { port: number };
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  process.stdout.write(
    JSON.stringify({
      event: 'listening',
      url: `http://${shown}:${addr.port}`,
      host,
      port: addr.port,
      model: name,
      backend: predictor.backend,
      backendDescription: predictor.backendDescription,
      log: log.file,
    }) + '\n',
  );

  const shutdown = () => {
    if (draining) return;
    draining = true;
    server.close(() => {
      process.stdout.write(JSON.stringify({ event: 'stopped', inFlight }) + '\n');
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), envNumber('RUNLENS_DRAIN_MS', 20000)).unref();
  };
  process.once('SIGTERM', shutdown);
  if (process.env.RUNLENS_EXIT_WITH_PARENT === '1') exitWithParent(shutdown);
  return server;
}

/**
 * Calls stop once the process that started this one is gone: its end of the stdin pipe closes when
 * it exits, however it exits (SIGKILL included); the parent pid changing (reparented to init) is
 * the second sign, for a parent that handed its pipe on.
 */
function exitWithParent(stop: () => void): void {
  const parent = process.ppid;
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    clearInterval(timer);
    stop();
  };
  process.stdin.on('end', once);
  process.stdin.on('close', once);
  process.stdin.on('error', once);
  process.stdin.resume();
  const timer = setInterval(() => {
    if (process.ppid !== parent) once();
  }, 1000);
  timer.unref();
}

if (require.main === module) {
  startServing(process.env.RUNLENS_PACKAGE_DIR || __dirname).catch((e) => {
    process.stderr.write(`runlens server: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
