import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import { RunlensError, errorMessage } from '../errors';
import type { RemoteConfig } from './config';

/** The server's limits for one log-batch call (MLflow's documented REST limits). */
export const MAX_METRICS_PER_BATCH = 1000;
export const MAX_PARAMS_TAGS_PER_BATCH = 100;
export const MAX_ENTITIES_PER_BATCH = 1000;
export const MAX_PARAM_VALUE_LENGTH = 6000;
export const MAX_TAG_VALUE_LENGTH = 5000;
export const MAX_KEY_LENGTH = 250;

export interface MlflowMetric {
  key: string;
  /** A number, or "NaN" / "Infinity" / "-Infinity" (protobuf's JSON mapping of doubles). */
  value: number | string;
  timestamp: number;
  step: number;
}

export interface MlflowKeyValue {
  key: string;
  value: string;
}

export interface MlflowExperimentInfo {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage?: string;
  last_update_time?: number;
  creation_time?: number;
}

export interface MlflowRunInfo {
  run_id: string;
  run_name?: string;
  experiment_id: string;
  status?: string;
  start_time?: number;
  end_time?: number;
  artifact_uri?: string;
  lifecycle_stage?: string;
  user_id?: string;
}

export interface MlflowRunData {
  metrics?: MlflowMetric[];
  params?: MlflowKeyValue[];
  tags?: MlflowKeyValue[];
}

export interface MlflowRunObject {
  info: MlflowRunInfo;
  data: MlflowRunData;
}

/** An error the server answered with: its HTTP status and MLflow error code. */
export class MlflowApiError extends RunlensError {
  constructor(
    message: string,
    hint: string | undefined,
    readonly status: number,
    readonly code: string,
    readonly serverMessage: string,
    /** The server's Retry-After, in milliseconds, when it sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(
      message,
      hint,
      status === 404 ? 'notFound' : code === 'RESOURCE_ALREADY_EXISTS' ? 'conflict' : 'data',
    );
    this.name = 'MlflowApiError';
  }

  /** 429 and 5xx: the same call may succeed later. */
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500;
  }
}

/** The server could not be reached (refused, reset, timed out): retryable. */
export class MlflowUnreachableError extends RunlensError {
  readonly retryable = true;
  constructor(message: string, hint: string) {
    super(message, hint, 'io');
    this.name = 'MlflowUnreachableError';
  }
}

export function isRetryable(e: unknown): boolean {
  return (
    (e instanceof MlflowApiError && e.retryable) ||
    e instanceof MlflowUnreachableError ||
    (typeof e === 'object' && e !== null && (e as { retryable?: unknown }).retryable === true)
  );
}

/** A double as MLflow's JSON expects it: NaN and infinities as protobuf's strings. */
export function metricValueJson(v: number): number | string {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

export function metricValueOf(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN' || v === 'nan') return NaN;
  if (v === 'Infinity' || v === 'inf') return Infinity;
  if (v === '-Infinity' || v === '-inf') return -Infinity;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return NaN;
}

/**
 * A client for an MLflow tracking server's REST API (`/api/2.0/mlflow/...` and the artifact proxy
 * `/api/2.0/mlflow-artifacts/...`), over Node's http/https with keep-alive connections. Every error
 * names the server and says what to do.
 */
export class MlflowClient {
  readonly base: URL;
  private readonly agent: http.Agent;
  private readonly headers: Record<string, string>;
  /** Requests made (for tests and the benchmark). */
  requests = 0;

  constructor(
    readonly config: RemoteConfig,
    options: { maxSockets?: number; timeoutMs?: number; tries?: number; retryBaseMs?: number } = {},
  ) {
    this.tries = Math.max(1, options.tries ?? DEFAULT_TRIES);
    this.retryBaseMs = options.retryBaseMs ?? 500;
    this.base = new URL(config.uri.endsWith('/') ? config.uri : config.uri + '/');
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') {
      throw new RunlensError(
        `the MLflow tracking URI ${config.uri} is not http:// or https://`,
        'point remote.mlflow (runlens.yaml), runlens.remote.mlflowUri or MLFLOW_TRACKING_URI at the server, e.g. http://mlflow.example:5000',
        'usage',
      );
    }
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 8 };
    this.agent =
      this.base.protocol === 'https:'
        ? new https.Agent({
            ...agentOptions,
            rejectUnauthorized: !config.insecureTls,
            ca: config.insecureTls ? undefined : trustedCas(),
          })
        : new http.Agent(agentOptions);
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.headers = { 'content-type': 'application/json', accept: 'application/json' };
    if (config.auth?.kind === 'bearer') this.headers.authorization = `Bearer ${config.auth.token}`;
    if (config.auth?.kind === 'basic') {
      this.headers.authorization =
        'Basic ' + Buffer.from(`${config.auth.username}:${config.auth.password}`).toString('base64');
    }
  }

  private readonly timeoutMs: number;
  /** Tries per request before a 429/5xx answer is thrown. */
  readonly tries: number;
  private readonly retryBaseMs: number;
  /** Requests tried again after a 429/5xx answer (for tests and reports). */
  retried = 0;

  /** The server as users know it (no credentials). */
  get server(): string {
    return this.base.origin + this.base.pathname.replace(/\/$/, '');
  }

  close(): void {
    this.agent.destroy();
  }

  /** Call `api/2.0/mlflow/<path>`; GET sends `query` as the query string, POST and DELETE as a JSON body. */
  async call<T>(
    method: 'GET' | 'POST' | 'DELETE',
    apiPath: string,
    body: Record<string, unknown> = {},
  ): Promise<T> {
    const url = new URL('api/2.0/mlflow/' + apiPath, this.base);
    let payload: string | undefined;
    if (method === 'GET') {
      for (const [k, v] of Object.entries(body)) {
        if (v === undefined || v === null) continue;
        if (Array.isArray(v)) for (const x of v) url.searchParams.append(k, String(x));
        else url.searchParams.set(k, String(v));
      }
    } else {
      payload = JSON.stringify(body);
    }
    const res = await this.raw(method, url, payload, this.headers, isRepeatable(method, apiPath, body));
    return parseJson<T>(res.body, url, this.server);
  }

  /**
   * Send a request; resolves with any HTTP status below 400, throws MlflowApiError for the rest.
   * Answers 429 and 503 (the server did not take the request) are tried again, and other 5xx only
   * when `repeatable` (sending it twice changes nothing), up to `tries` times: after the server's
   * Retry-After (at most 60 s), else after retryBaseMs doubling (at most 30 s). Connection errors
   * are not tried again here: the caller's resume logic knows what landed.
   */
  async raw(
    method: string,
    url: URL,
    payload: string | Buffer | undefined,
    headers: Record<string, string>,
    repeatable = method === 'GET' || method === 'PUT',
  ): Promise<{ status: number; body: Buffer }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(method, url, payload, headers);
      } catch (e) {
        const again =
          e instanceof MlflowApiError &&
          (e.status === 429 || e.status === 503 || (e.status >= 500 && repeatable));
        if (!again) throw e;
        if (attempt >= this.tries) {
          throw new MlflowApiError(
            `${e.message} (tried ${attempt} times)`,
            e.hint,
            e.status,
            e.code,
            e.serverMessage,
            e.retryAfterMs,
          );
        }
        const backoff = Math.min(30_000, this.retryBaseMs * 2 ** (attempt - 1));
        const wait = e.retryAfterMs !== undefined ? Math.min(60_000, e.retryAfterMs) : backoff;
        this.retried++;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  private once(
    method: string,
    url: URL,
    payload: string | Buffer | undefined,
    headers: Record<string, string>,
  ): Promise<{ status: number; body: Buffer }> {
    this.requests++;
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(
        url,
        {
          method,
          agent: this.agent,
          headers:
            payload !== undefined ? { ...headers, 'content-length': Buffer.byteLength(payload) } : headers,
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => reject(this.unreachable(e, url)));
          res.on('end', () => {
            const body = Buffer.concat(chunks);
            const status = res.statusCode ?? 0;
            if (status >= 400)
              reject(this.apiError(status, body, method, url, retryAfterMs(res.headers['retry-after'])));
            else resolve({ status, body });
          });
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', (e) => reject(this.unreachable(e, url)));
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  private unreachable(e: Error, url: URL): MlflowUnreachableError {
    const code = (e as NodeJS.ErrnoException).code;
    const badCert = /certificate|self[- ]signed|CERT_|UNABLE_TO_VERIFY|altnames/i.test(
      `${code} ${e.message}`,
    );
    return new MlflowUnreachableError(
      (badCert
        ? `the TLS certificate of the MLflow server ${this.server} is not trusted (${url.pathname}): ${code ?? ''} ${errorMessage(e)}`
        : `cannot reach the MLflow server ${this.server} (${url.pathname}): ${code ?? ''} ${errorMessage(e)}`
      ).replace(/\s+/g, ' '),
      badCert
        ? 'trust its CA: set NODE_EXTRA_CA_CERTS (or MLFLOW_TRACKING_SERVER_CERT_PATH) to the PEM file of the CA, or add it to the system CA bundle; for a test server only, MLFLOW_TRACKING_INSECURE_TLS=true skips the check'
        : 'check that the server runs and the URI is right (remote.mlflow in runlens.yaml, runlens.remote.mlflowUri or MLFLOW_TRACKING_URI); nothing was lost locally, run the sync again',
    );
  }

  private apiError(
    status: number,
    body: Buffer,
    method: string,
    url: URL,
    retryAfter?: number,
  ): MlflowApiError {
    let code = '';
    let message = body.toString('utf8').slice(0, 500).trim();
    try {
      const o = JSON.parse(body.toString('utf8')) as { error_code?: string; message?: string };
      code = o.error_code ?? '';
      message = o.message ?? message;
    } catch {
      /* not JSON: keep the text */
    }
    const what = `${method} ${url.pathname}`;
    const server = this.server;
    let hint: string | undefined;
    if (status === 401)
      hint =
        'the server wants credentials: set MLFLOW_TRACKING_TOKEN (bearer) or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or "Runlens: Set MLflow Credentials" in VS Code';
    else if (status === 403)
      hint = 'the credentials are valid but lack permission on this experiment or run: ask the server admin';
    else if (status === 404 && code === '')
      hint = `is ${server} an MLflow tracking server (with --serve-artifacts for artifacts)? check the URI`;
    else if (status === 429 || status >= 500)
      hint = 'the server is busy or failing; nothing was lost locally, run the sync again';
    else if (code === 'INVALID_PARAMETER_VALUE')
      hint = 'the server refused a value; nothing was lost locally, fix the value and push again';
    return new MlflowApiError(
      `the MLflow server ${server} answered ${status}${code ? ' ' + code : ''} to ${what}: ${message}`,
      hint,
      status,
      code,
      message,
      retryAfter,
    );
  }

  // --- experiments -------------------------------------------------------------------------------

  async getExperimentByName(name: string): Promise<MlflowExperimentInfo | undefined> {
    try {
      const r = await this.call<{ experiment: MlflowExperimentInfo }>('GET', 'experiments/get-by-name', {
        experiment_name: name,
      });
      return r.experiment;
    } catch (e) {
      if (
        e instanceof MlflowApiError &&
        (e.code === 'RESOURCE_DOES_NOT_EXIST' || e.status === 404) &&
        e.code !== ''
      )
        return undefined;
      throw e;
    }
  }

  /** The experiment's id, created when missing (also when another client creates it at the same time). */
  async ensureExperiment(name: string): Promise<string> {
    const found = await this.getExperimentByName(name);
    if (found) {
      if (found.lifecycle_stage === 'deleted') {
        throw new RunlensError(
          `the experiment "${name}" is deleted on ${this.server}`,
          'restore it on the server (mlflow experiments restore), or push to another experiment',
          'conflict',
        );
      }
      return found.experiment_id;
    }
    try {
      const r = await this.call<{ experiment_id: string }>('POST', 'experiments/create', { name });
      return r.experiment_id;
    } catch (e) {
      if (e instanceof MlflowApiError && e.code === 'RESOURCE_ALREADY_EXISTS') {
        const again = await this.getExperimentByName(name);
        if (again) return again.experiment_id;
      }
      throw e;
    }
  }

  async searchExperiments(): Promise<MlflowExperimentInfo[]> {
    const out: MlflowExperimentInfo[] = [];
    let token: string | undefined;
    do {
      const r = await this.call<{ experiments?: MlflowExperimentInfo[]; next_page_token?: string }>(
        'POST',
        'experiments/search',
        { max_results: 1000, page_token: token, view_type: 'ACTIVE_ONLY' },
      );
      out.push(...(r.experiments ?? []));
      token = r.next_page_token || undefined;
    } while (token);
    return out;
  }

  // --- runs --------------------------------------------------------------------------------------

  async createRun(body: {
    experiment_id: string;
    run_name: string;
    start_time: number;
    tags: MlflowKeyValue[];
  }): Promise<MlflowRunInfo> {
    const r = await this.call<{ run: MlflowRunObject }>('POST', 'runs/create', body);
    return r.run.info;
  }

  async getRun(runId: string): Promise<MlflowRunObject> {
    const r = await this.call<{ run: MlflowRunObject }>('GET', 'runs/get', { run_id: runId });
    return r.run;
  }

  async updateRun(body: {
    run_id: string;
    status?: string;
    end_time?: number;
    run_name?: string;
  }): Promise<void> {
    await this.call('POST', 'runs/update', body);
  }

  async logBatch(
    runId: string,
    batch: { metrics?: MlflowMetric[]; params?: MlflowKeyValue[]; tags?: MlflowKeyValue[] },
  ): Promise<void> {
    await this.call('POST', 'runs/log-batch', { run_id: runId, ...batch });
  }

  /** Runs of the experiments matching `filter`, every page. */
  async searchRuns(experimentIds: string[], filter = '', pageSize = 1000): Promise<MlflowRunObject[]> {
    const out: MlflowRunObject[] = [];
    let token: string | undefined;
    do {
      const r = await this.call<{ runs?: MlflowRunObject[]; next_page_token?: string }>(
        'POST',
        'runs/search',
        {
          experiment_ids: experimentIds,
          filter,
          max_results: pageSize,
          page_token: token,
          run_view_type: 'ACTIVE_ONLY',
        },
      );
      out.push(...(r.runs ?? []));
      token = r.next_page_token || undefined;
    } while (token);
    return out;
  }

  /** Every point of one metric of a run, page by page (servers that do not page send them all at once). */
  async getMetricHistory(runId: string, key: string, pageSize = 25_000): Promise<MlflowMetric[]> {
    const out: MlflowMetric[] = [];
    let token: string | undefined;
    do {
      const r = await this.call<{ metrics?: MlflowMetric[]; next_page_token?: string }>(
        'GET',
        'metrics/get-history',
        { run_id: runId, metric_key: key, max_results: pageSize, page_token: token },
      );
      const page = r.metrics ?? [];
      for (const m of page) out.push(m);
      token = r.next_page_token || undefined;
    } while (token);
    return out;
  }

  // --- artifacts (through the server's artifact proxy) --------------------------------------------

  /** The proxy path of a run's artifact root (`mlflow-artifacts:/0/<run>/artifacts` or `http(s)://.../`). */
  artifactUrl(artifactUri: string, rel: string): URL {
    const m = /^mlflow-artifacts:(?:\/\/[^/]*)?(\/.*)$/.exec(artifactUri);
    if (!m) {
      throw new RunlensError(
        `the run's artifact location ${artifactUri} on ${this.server} is not served through the artifact proxy`,
        'start the server with --serve-artifacts (the default since MLflow 2.0) and a --artifacts-destination',
        'usage',
      );
    }
    const root = m[1].replace(/^\/+/, '').replace(/\/+$/, '');
    const encoded = [...root.split('/'), ...rel.split('/')].filter((s) => s !== '').map(encodeURIComponent);
    return new URL('api/2.0/mlflow-artifacts/artifacts/' + encoded.join('/'), this.base);
  }

  async uploadArtifact(artifactUri: string, rel: string, content: Buffer): Promise<void> {
    const headers = { ...this.headers, 'content-type': 'application/octet-stream' };
    await this.raw('PUT', this.artifactUrl(artifactUri, rel), content, headers);
  }

  async downloadArtifact(artifactUri: string, rel: string): Promise<Buffer> {
    const res = await this.raw('GET', this.artifactUrl(artifactUri, rel), undefined, this.headers);
    return res.body;
  }

  async listArtifacts(
    artifactUri: string,
    rel = '',
  ): Promise<{ path: string; is_dir: boolean; file_size?: number }[]> {
    const url = new URL('api/2.0/mlflow-artifacts/artifacts', this.base);
    const m = /^mlflow-artifacts:(?:\/\/[^/]*)?(\/.*)$/.exec(artifactUri);
    if (!m) return [];
    const root = m[1].replace(/^\/+/, '').replace(/\/+$/, '');
    url.searchParams.set('path', rel ? `${root}/${rel}` : root);
    const res = await this.raw('GET', url, undefined, this.headers);
    const o = parseJson<{ files?: { path: string; is_dir: boolean; file_size?: number }[] }>(
      res.body,
      url,
      this.server,
    );
    return (o.files ?? []).map((f) => ({ ...f, path: rel ? `${rel}/${f.path}` : f.path }));
  }
}

/** Tries per request when the server answers 429/5xx (the first and four more). */
export const DEFAULT_TRIES = 5;

/** POST calls that change nothing when sent twice (the rest of the POSTs create or append). */
const REPEATABLE_POSTS = new Set([
  'experiments/search',
  'runs/search',
  'runs/update',
  'experiments/create', // a second create answers RESOURCE_ALREADY_EXISTS, which ensureExperiment takes
  'model-versions/transition-stage',
  'model-versions/set-tag',
  'registered-models/alias',
  'registered-models/search',
  'model-versions/search',
]);

/** Whether a REST call can be sent again after an ambiguous failure (500, 502, 504). */
export function isRepeatable(method: string, apiPath: string, body: Record<string, unknown>): boolean {
  if (method === 'GET' || method === 'DELETE' || REPEATABLE_POSTS.has(apiPath)) return true;
  // Params and tags logged again with the same value change nothing; metric points would be doubled.
  if (apiPath === 'runs/log-batch') return !Array.isArray(body.metrics) || body.metrics.length === 0;
  return false;
}

/** Retry-After as milliseconds: seconds, or an HTTP date. */
export function retryAfterMs(v: string | undefined, now = Date.now()): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** Where Linux distributions, macOS's OpenSSL and OpenSSL's SSL_CERT_FILE keep the system's CA bundle. */
const SYSTEM_CA_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/ca-bundle.pem',
  '/etc/ssl/cert.pem',
];

/**
 * The CAs an https server's certificate is checked against: Node's bundled roots, the system's CA
 * bundle (SSL_CERT_FILE or the first of SYSTEM_CA_BUNDLES; Node alone would not read it), and the
 * files of NODE_EXTRA_CA_CERTS and MLFLOW_TRACKING_SERVER_CERT_PATH (MLflow's own variable). An
 * explicit `ca` replaces Node's defaults, NODE_EXTRA_CA_CERTS included, so all are listed here.
 */
export function trustedCas(env: NodeJS.ProcessEnv = process.env): string[] {
  const cas = [...tls.rootCertificates];
  const read = (file: string | undefined, required: string | undefined): void => {
    if (!file) return;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if (!required) return;
      throw new RunlensError(
        `${required}=${file} cannot be read: ${errorMessage(e)}`,
        `point ${required} at a PEM file of CA certificates`,
        'usage',
      );
    }
    cas.push(...(text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []));
  };
  if (env.SSL_CERT_FILE) read(env.SSL_CERT_FILE, 'SSL_CERT_FILE');
  else
    read(
      SYSTEM_CA_BUNDLES.find((f) => fs.existsSync(f)),
      undefined,
    );
  read(env.NODE_EXTRA_CA_CERTS, 'NODE_EXTRA_CA_CERTS');
  read(env.MLFLOW_TRACKING_SERVER_CERT_PATH, 'MLFLOW_TRACKING_SERVER_CERT_PATH');
  return cas;
}

function parseJson<T>(body: Buffer, url: URL, server: string): T {
  if (body.length === 0) return {} as T;
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch {
    throw new RunlensError(
      `${server} answered ${url.pathname} with something that is not JSON: ${body.toString('utf8').slice(0, 120)}`,
      'check that the URI points at an MLflow tracking server (not its web UI behind a login page)',
    );
  }
}
