import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type * as Esbuild from 'esbuild';
import { parse as parseCsv } from 'csv-parse/sync';
import { stringify } from 'yaml';
import { RunlensError } from '../errors';
import { inputWidth, PREPROCESSING_FILE, readPreprocessing } from '../model/preprocessing';
import type { Preprocessing } from '../model/preprocessing';
import { findPreprocessing, MODEL_FILE } from '../model/predictor';
import { Registry } from '../store/registry';
import type { ModelVersion } from '../store/registry';
import { ARTIFACTS_DIR } from '../store/runFile';
import type { Store } from '../store/store';
import type { RunRecord } from '../store/types';
import { TAG_PIPELINE_RUN, TAG_STAGE } from '../store/types';
import type { InputField, PackageManifest } from './manifest';
import {
  inputSchemaFromPreprocessing,
  MANIFEST_FILE,
  MANIFEST_SCHEMA_VERSION,
  REFERENCE_FILE,
  SMOKE_FILE,
} from './manifest';
import { csvCell } from '../format';

export const SERVER_PORT = 8080;
const SMOKE_ROWS = 200;

export interface PackageOptions {
  out?: string;
  force?: boolean;
  /** A prebuilt server bundle; by default dist/serving-server.js or a fresh esbuild build. */
  serverBundle?: string;
}

export interface PackageResult {
  dir: string;
  manifest: PackageManifest;
  files: string[];
  ms: number;
}

interface Source {
  name: string;
  version: ModelVersion | null;
  run: RunRecord;
  runDir: string;
  modelDir: string;
  /** For a registered version: the model files it recorded (names inside modelDir); only they ship. */
  files?: Set<string>;
}

/** MODEL@VERSION, MODEL@stage or a run id/name. */
export function resolveSource(store: Store, ref: string): Source {
  const at = ref.lastIndexOf('@');
  if (at > 0) {
    const name = ref.slice(0, at);
    const registry = new Registry(store);
    const version = registry.getVersion(name, ref.slice(at + 1));
    const vdir = registry.versionDir(name, version.version);
    // Exactly the version's recorded files: the shallowest recorded model.json names the model
    // folder, and only the files recorded in that folder are packaged.
    const modelFile = version.files
      .filter((f) => f === MODEL_FILE || f.endsWith('/' + MODEL_FILE))
      .sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : 1))[0];
    if (modelFile === undefined || !fs.existsSync(path.join(vdir, modelFile))) {
      throw noModel(`${name}@${version.version} (${vdir})`);
    }
    const rel = path.posix.dirname(modelFile);
    const prefix = rel === '.' ? '' : rel + '/';
    const files = new Set(
      version.files
        .filter((f) => f.startsWith(prefix) && !f.slice(prefix.length).includes('/'))
        .map((f) => f.slice(prefix.length)),
    );
    return {
      name,
      version,
      run: store.getRun(version.sourceRun),
      runDir: store.runDir(version.sourceRun),
      modelDir: path.join(vdir, ...rel.split('/').filter((p) => p !== '.')),
      files,
    };
  }
  const run = store.getRun(ref);
  const runDir = store.runDir(run.id);
  const modelDir = findModelDir(path.join(runDir, ARTIFACTS_DIR));
  if (!modelDir) throw noModel(`run ${run.name} (${path.join(runDir, ARTIFACTS_DIR)})`);
  return { name: sanitize(run.experiment || run.name), version: null, run, runDir, modelDir };
}

function noModel(what: string): RunlensError {
  return new RunlensError(
    `${what} has no TensorFlow.js model (model.json)`,
    'save the model and preprocessing.json into the run artifacts under model/ (see examples/quickstart/train.js)',
    'notFound',
  );
}

function sanitize(s: string): string {
  return (
    s
      .replace(/[^A-Za-z0-9.-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .toLowerCase() || 'model'
  );
}

function findModelDir(dir: string, depth = 0): string | undefined {
  if (!fs.existsSync(dir) || depth > 3) return undefined;
  if (fs.existsSync(path.join(dir, MODEL_FILE))) return dir;
  // sorted: the same model folder is found whatever order the filesystem lists entries in
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.isDirectory()) {
      const found = findModelDir(path.join(dir, e.name), depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

function readJsonMaybe(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The gate verdict kept with the run (artifacts/gate.json, or a verdict inside evaluation.json). */
function gateVerdict(runDir: string): PackageManifest['gate'] {
  for (const name of ['gate.json', 'evaluation.json']) {
    const file = path.join(runDir, ARTIFACTS_DIR, name);
    const raw = readJsonMaybe(file);
    const v = raw?.verdict ?? (raw?.gate as { verdict?: unknown } | undefined)?.verdict;
    // An incomplete verdict (the candidate was not evaluated) is not a pass either.
    if (v === 'pass' || v === 'fail' || v === 'incomplete')
      return { verdict: v === 'pass' ? 'pass' : 'fail', file: path.join(ARTIFACTS_DIR, name) };
  }
  return null;
}

function runMetricsOf(src: Source): Record<string, number> {
  if (src.version) return { ...src.version.metrics };
  const out: Record<string, number> = {};
  for (const [k, s] of Object.entries(src.run.summary ?? {})) out[k] = s.last;
  return out;
}

function evaluationMetrics(runDir: string): Record<string, number> {
  const raw = readJsonMaybe(path.join(runDir, ARTIFACTS_DIR, 'evaluation.json'));
  const m = raw?.metrics;
  const out: Record<string, number> = {};
  if (m && typeof m === 'object') {
    for (const [k, v] of Object.entries(m as Record<string, unknown>)) if (typeof v === 'number') out[k] = v;
  }
  return out;
}

/** Input schema from the run's data schema file when there is one, else from the preprocessing. */
function inputSchema(runDir: string, p: Preprocessing): { fields: InputField[]; source: string } {
  const fields = inputSchemaFromPreprocessing(p);
  const file = path.join(runDir, ARTIFACTS_DIR, 'schema.json');
  const raw = readJsonMaybe(file) as { columns?: { name: string; min?: number; max?: number }[] } | undefined;
  if (Array.isArray(raw?.columns)) {
    const byName = new Map(raw.columns.map((c) => [c.name, c]));
    for (const f of fields) {
      const c = byName.get(f.name);
      if (typeof c?.min === 'number') f.min = c.min;
      if (typeof c?.max === 'number') f.max = c.max;
    }
    return { fields, source: path.join(ARTIFACTS_DIR, 'schema.json') };
  }
  return { fields, source: PREPROCESSING_FILE };
}

/**
 * Rows of the training data for the drift reference (all) and, without validation rows, the smoke test (the first 200): the run's first CSV input. A header of names maps by name; scikit-learn's
 * bundled format (first line "n_rows,n_features,class names…") maps columns in feature order.
 */
export function smokeRows(
  src: { run: RunRecord },
  p: Preprocessing,
  workspace: string,
): { rows: Record<string, unknown>[]; source: string } | null {
  for (const input of src.run.inputs) {
    const file = path.isAbsolute(input.path) ? input.path : path.resolve(workspace, input.path);
    const alt = path.resolve(src.run.cwd, input.path);
    const found = [file, alt].find((f) => /\.csv$/i.test(f) && fs.existsSync(f));
    if (!found) continue;
    const lines = fs
      .readFileSync(found, 'utf8')
      .split(/\r?\n/)
      .filter((l) => l.trim() !== '');
    const head = lines[0].split(',');
    const names = p.features.map((f) => f.name);
    let pick: (cells: string[]) => Record<string, unknown>;
    if (/^\d+$/.test(head[0]) && /^\d+$/.test(head[1] ?? '') && Number(head[1]) === names.length) {
      pick = (c) => Object.fromEntries(names.map((n, j) => [n, Number(c[j])]));
    } else if (names.every((n) => head.includes(n))) {
      const idx = names.map((n) => head.indexOf(n));
      pick = (c) =>
        Object.fromEntries(
          names.map((n, j) => {
            const f = p.features[j];
            return [n, f.kind === 'numeric' ? Number(c[idx[j]]) : c[idx[j]]];
          }),
        );
    } else continue;
    const rows = lines.slice(1).map((l) => pick(l.split(',')));
    return { rows, source: input.path };
  }
  return null;
}

/** The run artifact with the rows the model was evaluated on, as the training script wrote them. */
export const VALIDATION_ARTIFACT = 'validation.csv';
const MAX_EVAL_SMOKE_ROWS = 10_000;

/**
 * The evaluation rows for the smoke test: the run's validation.csv artifact (a header naming every
 * feature), so the served model is checked on exactly the rows it was evaluated on. Null when the
 * run has none or it does not name the features.
 */
export function validationRows(
  runDir: string,
  p: Preprocessing,
): { rows: Record<string, unknown>[]; source: string } | null {
  const file = path.join(runDir, ARTIFACTS_DIR, VALIDATION_ARTIFACT);
  if (!fs.existsSync(file)) return null;
  const records = parseCsv(fs.readFileSync(file, 'utf8'), {
    columns: true,
    skip_empty_lines: true,
    to: MAX_EVAL_SMOKE_ROWS,
  }) as Record<string, string>[];
  if (!records.length || !p.features.every((f) => f.name in records[0])) return null;
  const rows = records.map((r) =>
    Object.fromEntries(p.features.map((f) => [f.name, f.kind === 'numeric' ? Number(r[f.name]) : r[f.name]])),
  );
  return { rows, source: `${VALIDATION_ARTIFACT} (run artifact)` };
}

function installedVersion(pkg: string): string {
  for (const base of [process.cwd(), __dirname]) {
    try {
      const file = require.resolve(`${pkg}/package.json`, { paths: [base] });
      return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
    } catch {
      // not installed from there
    }
  }
  return '4.22.0';
}

function findUp(from: string, rel: string): string | undefined {
  let d = from;
  for (;;) {
    if (fs.existsSync(path.join(d, rel))) return path.join(d, rel);
    const up = path.dirname(d);
    if (up === d) return undefined;
    d = up;
  }
}

async function serverBundle(given?: string): Promise<string> {
  if (given) return fs.readFileSync(given, 'utf8');
  const prebuilt = path.join(__dirname, 'serving-server.js');
  if (fs.existsSync(prebuilt)) return fs.readFileSync(prebuilt, 'utf8');
  const entry = findUp(__dirname, 'src/core/serving/server.ts');
  if (!entry) {
    throw new RunlensError(
      'the serving server bundle (dist/serving-server.js) is missing',
      'rebuild Runlens with `npm run build`',
      'io',
    );
  }
  // esbuild is a development dependency: present in a checkout, where dist/ may not have the bundle yet.
  const esbuild = createRequire(__filename)('esbuild') as typeof Esbuild;
  const r = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    write: false,
    external: [
      '@tensorflow/tfjs',
      '@tensorflow/tfjs-node',
      '@tensorflow/tfjs-backend-wasm',
      '@tensorflow/tfjs-core',
      'esbuild',
    ],
    logLevel: 'silent',
  });
  return r.outputFiles[0].text;
}

export function dockerfile(): string {
  return `# Built by \`runlens package\`. Build: docker build -t IMAGE . ; run: docker run -p ${SERVER_PORT}:${SERVER_PORT} IMAGE
FROM node:20-bookworm-slim
# server.js binds loopback unless told otherwise; in a container it must answer on all interfaces.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=${SERVER_PORT} RUNLENS_LOG_DIR=/app/logs
WORKDIR /app
COPY package.json ./
# tfjs-node is optional: where its native build is unavailable the server uses the WASM backend.
RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
RUN mkdir -p /app/logs && chown -R node:node /app/logs
USER node
EXPOSE ${SERVER_PORT}
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \\
  CMD node -e "require('http').get('http://127.0.0.1:'+(process.env.PORT||${SERVER_PORT})+'/healthz',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"
CMD ["node", "server.js"]
`;
}

export function k8sManifests(name: string, version: number | null): { deployment: string; service: string } {
  const labels = { app: name };
  const image = `${name}:${version ?? 'latest'}`;
  const probe = (delay: number) => ({
    httpGet: { path: '/healthz', port: 'http' },
    initialDelaySeconds: delay,
    periodSeconds: 10,
    timeoutSeconds: 3,
    failureThreshold: 3,
  });
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      template: {
        metadata: {
          labels,
          annotations: {
            'prometheus.io/scrape': 'true',
            'prometheus.io/path': '/metrics',
            'prometheus.io/port': String(SERVER_PORT),
          },
        },
        spec: {
          terminationGracePeriodSeconds: 30,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000 },
          containers: [
            {
              name: 'server',
              image,
              imagePullPolicy: 'IfNotPresent',
              ports: [{ name: 'http', containerPort: SERVER_PORT }],
              env: [
                { name: 'HOST', value: '0.0.0.0' },
                { name: 'PORT', value: String(SERVER_PORT) },
                {
                  name: 'RUNLENS_SERVE_TOKEN',
                  valueFrom: { secretKeyRef: { name: `${name}-token`, key: 'token', optional: true } },
                },
              ],
              readinessProbe: probe(5),
              livenessProbe: probe(20),
              resources: {
                requests: { cpu: '250m', memory: '256Mi' },
                limits: { cpu: '1', memory: '512Mi' },
              },
              securityContext: { allowPrivilegeEscalation: false },
            },
          ],
        },
      },
    },
  };
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels },
    spec: { type: 'ClusterIP', selector: labels, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  };
  return { deployment: stringify(deployment), service: stringify(service) };
}

function modelCard(m: PackageManifest, p: Preprocessing, run: Pick<RunRecord, 'params' | 'tags'>): string {
  const metrics = Object.entries(m.metrics);
  const pipelineRun = run.tags[TAG_PIPELINE_RUN];
  const params = Object.entries(run.params);
  const lines = [
    `# Model card: ${m.name}${m.version !== null ? ` v${m.version}` : ''}`,
    '',
    `Packaged by Runlens on ${new Date(m.createdAt).toISOString()}.`,
    '',
    '## Metrics',
    '',
    ...(metrics.length
      ? ['| metric | value |', '| --- | --- |', ...metrics.map(([k, v]) => `| ${k} | ${v} |`)]
      : ['No metrics recorded.']),
    '',
    '## Baseline verdict',
    '',
    m.gate
      ? `**${m.gate.verdict}** (from ${m.gate.file})${m.forced ? ' — packaged anyway with --force' : ''}`
      : 'not evaluated',
    '',
    '## Provenance',
    '',
    `- Source run: ${m.sourceRun} (experiment ${m.experiment})`,
    `- Git commit: ${m.gitCommit ?? 'unknown'}${m.gitDirty ? ' (with uncommitted changes)' : ''}`,
    ...(m.dataHashes.length
      ? m.dataHashes.map((d) => `- Data: ${d.path} sha256 ${d.sha256} (${d.size} bytes)`)
      : ['- Data: no inputs recorded']),
    '',
    '## Lineage',
    '',
    pipelineRun
      ? `Trained by pipeline run ${pipelineRun}, stage ${run.tags[TAG_STAGE] ?? 'unknown'}; \`runlens pipeline lineage ${m.name}${m.version !== null ? `@v${m.version}` : ''}\` lists its stage runs and the hashes of the data each read.`
      : 'Not trained by a Runlens pipeline.',
    '',
    ...(params.length
      ? ['| param | value |', '| --- | --- |', ...params.map(([k, v]) => `| ${k} | ${JSON.stringify(v)} |`)]
      : ['No params recorded.']),
    '',
    '## Input schema',
    '',
    `From ${m.inputSchemaSource}. Task: ${m.task}${m.labels.length ? `; labels: ${m.labels.join(', ')}` : ''}. Model input width ${inputWidth(p)}.`,
    '',
    '| field | type | preprocessing |',
    '| --- | --- | --- |',
    ...p.features.map((f) =>
      f.kind === 'numeric'
        ? `| ${f.name} | number | standardised: mean ${f.mean.toPrecision(6)}, std ${f.std.toPrecision(6)} |`
        : `| ${f.name} | string | one-hot over ${f.vocabulary.length} values |`,
    ),
    '',
    '## Serving',
    '',
    `\`node server.js\` (HOST, default 127.0.0.1: set 0.0.0.0 to answer on all interfaces, as the Dockerfile and k8s manifests do; PORT=${SERVER_PORT}; RUNLENS_SERVE_TOKEN protects the predict endpoints); POST /v1/models/${m.name}:predict, POST /invocations, GET /v1/models/${m.name}, /healthz, /metrics.`,
    '',
  ];
  return lines.join('\n');
}

/** Package a model version or run into a folder that serves it (see docs in MODEL_CARD.md it writes). */
export async function packageModel(
  store: Store,
  ref: string,
  o: PackageOptions = {},
): Promise<PackageResult> {
  const t0 = Date.now();
  const src = resolveSource(store, ref);
  const gate = gateVerdict(src.runDir);
  if (gate?.verdict === 'fail' && !o.force) {
    throw new RunlensError(
      `${ref}: the baseline gate verdict is fail (${path.join(src.runDir, gate.file)}); not packaging`,
      'fix the model, or pass --force to package it anyway',
      'conflict',
    );
  }
  const prepFile = findPreprocessing(src.modelDir);
  const prep = readPreprocessing(prepFile);
  const workspace = path.dirname(store.dir);
  const out = path.resolve(
    o.out ??
      path.join(
        workspace,
        'serving',
        `${src.name}${src.version ? `-v${src.version.version}` : `-${src.run.id.slice(-6)}`}`,
      ),
  );
  if (fs.existsSync(out) && fs.readdirSync(out).length > 0 && !fs.existsSync(path.join(out, MANIFEST_FILE))) {
    throw new RunlensError(
      `${out} exists and is not a Runlens model package`,
      'choose another --out folder',
      'conflict',
    );
  }
  const schema = inputSchema(src.runDir, prep);
  const smoke = smokeRows(src, prep, workspace);
  // The evaluation rows when the run kept them; else the first rows of the training data.
  const smokeSet =
    validationRows(src.runDir, prep) ??
    (smoke ? { rows: smoke.rows.slice(0, SMOKE_ROWS), source: smoke.source } : null);
  const manifest: PackageManifest = {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    name: src.name,
    version: src.version?.version ?? null,
    createdAt: Date.now(),
    sourceRun: src.run.id,
    experiment: src.run.experiment,
    gitCommit: src.version?.gitCommit ?? src.run.git?.commit ?? null,
    gitDirty: src.run.git?.dirty ?? null,
    dataHashes: src.version?.dataHashes ?? src.run.inputs,
    inputSchemaSource: schema.source,
    inputSchema: schema.fields,
    labels: prep.labels,
    task: prep.task,
    modelDir: 'model',
    preprocessingFile: `model/${PREPROCESSING_FILE}`,
    metrics: { ...runMetricsOf(src), ...evaluationMetrics(src.runDir) },
    gate,
    forced: Boolean(o.force && gate?.verdict === 'fail'),
    smoke: smokeSet ? { file: SMOKE_FILE, source: smokeSet.source, rows: smokeSet.rows.length } : null,
    reference: smoke ? { file: REFERENCE_FILE, source: smoke.source, rows: smoke.rows.length } : null,
  };
  const tfVersion = installedVersion('@tensorflow/tfjs');
  const pkgJson = {
    name: `${src.name}-server`,
    version: `1.0.${manifest.version ?? 0}`,
    private: true,
    description: `Prediction server for ${src.name}, packaged by Runlens`,
    main: 'server.js',
    scripts: { start: 'node server.js' },
    engines: { node: '>=20' },
    dependencies: {
      '@tensorflow/tfjs': tfVersion,
      '@tensorflow/tfjs-backend-wasm': installedVersion('@tensorflow/tfjs-backend-wasm'),
    },
    optionalDependencies: { '@tensorflow/tfjs-node': tfVersion },
  };
  const bundle = await serverBundle(o.serverBundle);
  const k8s = k8sManifests(src.name, manifest.version);

  // Written into a sibling temporary folder, then renamed over the target: never half a package.
  const tmp = `${out}.tmp-${process.pid}-${Date.now()}`;
  fs.mkdirSync(path.join(tmp, 'model'), { recursive: true });
  fs.mkdirSync(path.join(tmp, 'k8s'));
  const files: string[] = [];
  const put = (rel: string, data: string | Buffer) => {
    fs.writeFileSync(path.join(tmp, rel), data);
    files.push(rel);
  };
  try {
    for (const f of fs.readdirSync(src.modelDir).sort()) {
      if (
        fs.statSync(path.join(src.modelDir, f)).isFile() &&
        f !== PREPROCESSING_FILE &&
        (src.files === undefined || src.files.has(f))
      )
        put(`model/${f}`, fs.readFileSync(path.join(src.modelDir, f)));
    }
    put(`model/${PREPROCESSING_FILE}`, JSON.stringify(prep, null, 2) + '\n');
    put(MANIFEST_FILE, JSON.stringify(manifest, null, 2) + '\n');
    if (smokeSet) put(SMOKE_FILE, JSON.stringify(smokeSet.rows));
    if (smoke) {
      const names = prep.features.map((f) => f.name);
      put(
        REFERENCE_FILE,
        [names.join(','), ...smoke.rows.map((r) => names.map((n) => csvCell(r[n])).join(','))].join('\n') +
          '\n',
      );
    }
    put('server.js', bundle);
    put('package.json', JSON.stringify(pkgJson, null, 2) + '\n');
    put('Dockerfile', dockerfile());
    put('.dockerignore', 'node_modules\nlogs\n');
    put('k8s/deployment.yaml', k8s.deployment);
    put('k8s/service.yaml', k8s.service);
    put('MODEL_CARD.md', modelCard(manifest, prep, src.run));
    if (fs.existsSync(out)) fs.rmSync(out, { recursive: true, force: true });
    fs.renameSync(tmp, out);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { dir: out, manifest, files, ms: Date.now() - t0 };
}
