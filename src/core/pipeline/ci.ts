import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { RunlensError } from '../errors';
import { STORE_DIR_NAME } from '../store/layout';
import { mkdirp, writeFileAtomic } from '../store/fsutil';
import { clientPaths } from '../tracking/launchEnv';
import { runlensVersion } from '../version';
import { programOf } from './check';
import { loadPipeline, PIPELINE_FILE } from './parse';

export const WORKFLOW_FILE = '.github/workflows/runlens.yml';
export const GITLAB_FILE = '.gitlab-ci.yml';
export const SCRIPT_FILE = 'ci/runlens-pipeline.sh';
export const GITLAB_NOTE_FILE = 'ci/runlens-gitlab-note.js';
/** Where the shell entry point leaves the gate's Markdown report for the PR comment. */
export const GATE_REPORT_FILE = 'runlens-gate.md';
/** The hidden first line of the report: the comment to update in place is the one that holds it. */
export const REPORT_MARKER = '<!-- runlens-gate-report -->';
/** What the workflow caches: npm's cache, pip's, and the pinned Runlens the script installs. */
export const CI_CACHE_DIRS = ['~/.npm', '~/.cache/pip', '~/.cache/runlens'];

export type CiProvider = 'github' | 'gitlab';

/** The vendored package that `runlens ci init --vendor` writes, and the script installs by default. */
export function vendoredTarball(version = runlensVersion()): string {
  return `ci/runlens-${version}.tgz`;
}

/** What the generated CI must set up for this project. */
export interface ProjectFacts {
  /** A package.json: the project's own npm dependencies are installed. */
  node: boolean;
  /** A package-lock.json: `npm ci` instead of `npm install`. */
  lock: boolean;
  /** A stage runs Python (or requirements.txt exists): Python is set up. */
  python: boolean;
  /** requirements.txt: installed with pip. */
  requirements: boolean;
}

const PYTHON_PROGRAM = /^(python[\d.]*|pip[\d.]*|pytest|uv|poetry|conda|.*\.py)$/;

/** Whether a stage command runs Python: its program is python/pip/..., or it names a .py file. */
export function runsPython(cmd: string): boolean {
  const program = programOf(cmd);
  return (program !== undefined && PYTHON_PROGRAM.test(path.basename(program))) || /\.py\b/.test(cmd);
}

export function projectFacts(root: string): ProjectFacts {
  const has = (f: string) => fs.existsSync(path.join(root, f));
  const requirements = has('requirements.txt');
  let python = requirements;
  if (!python && has(PIPELINE_FILE)) {
    try {
      python = loadPipeline(path.join(root, PIPELINE_FILE)).stages.some((s) => s.cmd && runsPython(s.cmd));
    } catch {
      // an invalid runlens.yaml: `runlens pipeline run` reports it; look at the text instead
      python = /\bpython[\d.]*\b|\.py\b/.test(fs.readFileSync(path.join(root, PIPELINE_FILE), 'utf8'));
    }
  }
  return { node: has('package.json'), lock: has('package-lock.json'), python, requirements };
}

type Step = Record<string, unknown>;

/** The github-script body that posts the gate report once per pull request and edits it on later pushes. */
export const GITHUB_COMMENT_SCRIPT = [
  "const fs = require('fs');",
  `const marker = '${REPORT_MARKER}';`,
  `if (!fs.existsSync('${GATE_REPORT_FILE}')) { core.info('no gate report'); return; }`,
  `const body = fs.readFileSync('${GATE_REPORT_FILE}', 'utf8');`,
  'const { owner, repo } = context.repo;',
  'const issue_number = context.issue.number;',
  'const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number, per_page: 100 });',
  "const mine = comments.find((c) => c.user && c.user.type === 'Bot' && (c.body || '').includes(marker));",
  'if (mine) await github.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body });',
  'else await github.rest.issues.createComment({ owner, repo, issue_number, body });',
].join('\n');

/**
 * The GitHub Actions workflow: Node (and Python when a stage runs it), caches for npm, pip and the
 * pinned Runlens, the store restored from the branch's (else the base branch's) last run so the gate
 * has its baseline, the pipeline script, the store as an artifact, and the gate report as one PR
 * comment updated in place.
 */
export function workflowFor(root: string, version = runlensVersion()): Record<string, unknown> {
  const facts = projectFacts(root);
  const steps: Step[] = [
    { uses: 'actions/checkout@v4' },
    {
      uses: 'actions/setup-node@v4',
      with: { 'node-version': 20, ...(facts.lock ? { cache: 'npm' } : {}) },
    },
  ];
  if (facts.python) {
    steps.push({
      uses: 'actions/setup-python@v5',
      with: {
        'python-version': '3.12',
        ...(facts.requirements ? { cache: 'pip', 'cache-dependency-path': 'requirements.txt' } : {}),
      },
    });
  }
  steps.push({
    name: 'Cache npm and the pinned Runlens',
    uses: 'actions/cache@v4',
    with: {
      path: CI_CACHE_DIRS.filter((d) => d !== '~/.cache/pip' || !facts.requirements).join('\n'),
      key: `runlens-${version}-\${{ runner.os }}-\${{ hashFiles('ci/runlens-*.tgz') }}`,
      'restore-keys': `runlens-${version}-\${{ runner.os }}-`,
    },
  });
  if (facts.node) steps.push({ name: 'Install the project', run: facts.lock ? 'npm ci' : 'npm install' });
  if (facts.requirements)
    steps.push({ name: 'Install Python requirements', run: 'pip install -r requirements.txt' });
  steps.push(
    {
      name: 'Restore the run store (the baseline the gate compares with)',
      uses: 'actions/cache@v4',
      with: {
        path: STORE_DIR_NAME,
        key: 'runlens-store-${{ github.head_ref || github.ref_name }}-${{ github.sha }}',
        'restore-keys': [
          'runlens-store-${{ github.head_ref || github.ref_name }}-',
          'runlens-store-${{ github.base_ref || github.event.repository.default_branch }}-',
        ].join('\n'),
      },
    },
    { name: 'Run the Runlens pipeline', id: 'pipeline', run: `bash ${SCRIPT_FILE}` },
    {
      name: 'Upload the run store and the gate report',
      if: 'always()',
      uses: 'actions/upload-artifact@v4',
      with: {
        name: 'runlens-store',
        path: `.runlens\n${GATE_REPORT_FILE}`,
        'include-hidden-files': true,
        'if-no-files-found': 'warn',
      },
    },
    {
      name: 'Post the gate report on the pull request (one comment, updated on each push)',
      if: "always() && github.event_name == 'pull_request'",
      // a pull request from a fork gets a read-only token: the report is still in the job log
      'continue-on-error': true,
      uses: 'actions/github-script@v7',
      with: { script: GITHUB_COMMENT_SCRIPT },
    },
  );
  return {
    name: 'Runlens pipeline',
    on: { pull_request: {}, push: { branches: ['main', 'master'] }, workflow_dispatch: {} },
    permissions: { contents: 'read', 'pull-requests': 'write' },
    concurrency: { group: 'runlens-${{ github.ref }}', 'cancel-in-progress': true },
    jobs: { pipeline: { 'runs-on': 'ubuntu-latest', 'timeout-minutes': 60, steps } },
  };
}

/** The GitLab CI job: the same script, caches, the store as an artifact, a merge-request note. */
export function gitlabCiFor(root: string, version = runlensVersion()): Record<string, unknown> {
  const facts = projectFacts(root);
  const before: string[] = [];
  if (facts.python) {
    before.push(
      'apt-get update -qq && apt-get install -y -qq python3-venv python3-pip >/dev/null',
      'python3 -m venv .venv && . .venv/bin/activate',
    );
    if (facts.requirements) before.push('pip install -r requirements.txt');
  }
  if (facts.node) before.push(facts.lock ? 'npm ci' : 'npm install');
  return {
    stages: ['pipeline'],
    'runlens-pipeline': {
      stage: 'pipeline',
      image: 'node:20-bookworm',
      rules: [
        { if: '$CI_PIPELINE_SOURCE == "merge_request_event"' },
        { if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH' },
      ],
      variables: {
        npm_config_cache: '$CI_PROJECT_DIR/.cache/npm',
        PIP_CACHE_DIR: '$CI_PROJECT_DIR/.cache/pip',
        RUNLENS_PREFIX: `$CI_PROJECT_DIR/.cache/runlens/${version}`,
      },
      cache: [
        { key: `runlens-${version}`, paths: ['.cache/'] },
        {
          key: 'runlens-store-$CI_COMMIT_REF_SLUG',
          fallback_keys: ['runlens-store-$CI_DEFAULT_BRANCH'],
          paths: ['.runlens/'],
        },
      ],
      ...(before.length ? { before_script: before } : {}),
      script: [`bash ${SCRIPT_FILE}`],
      after_script: [`node ${GITLAB_NOTE_FILE}`],
      artifacts: { when: 'always', expire_in: '30 days', paths: ['.runlens/', GATE_REPORT_FILE] },
    },
  };
}

/** The shell entry point: installs the pinned Runlens unless it is already there, runs the pipeline. */
export function pipelineScript(version = runlensVersion()): string {
  return `#!/usr/bin/env bash
# Runs the Runlens pipeline (runlens.yaml) the same way in any CI system and on a laptop, and leaves
# the gate's Markdown report in ${GATE_REPORT_FILE}. Exit code: non-zero when a stage or the gate failed.
#
# Runlens ${version} wrote this file; it runs that version:
#   1. RUNLENS, when set (a command, e.g. "node /path/to/runlens/dist/cli.js");
#   2. else \`runlens\` on PATH when it is version ${version};
#   3. else RUNLENS_SPEC installed with npm into RUNLENS_PREFIX (default ~/.cache/runlens/${version}),
#      once: RUNLENS_SPEC defaults to ${vendoredTarball(version)} (\`runlens ci init --vendor\` writes it)
#      when that file exists, else to runlens@${version} from the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNLENS_VERSION=${version}
REPORT=${GATE_REPORT_FILE}
MARKER='${REPORT_MARKER}'

has_version() { [ "$("$@" --version 2>/dev/null)" = "$RUNLENS_VERSION" ]; }
if [ -n "\${RUNLENS:-}" ]; then
  read -r -a runlens <<<"$RUNLENS"
elif command -v runlens >/dev/null 2>&1 && has_version runlens; then
  runlens=(runlens)
else
  prefix="\${RUNLENS_PREFIX:-\${XDG_CACHE_HOME:-$HOME/.cache}/runlens/$RUNLENS_VERSION}"
  if ! has_version "$prefix/bin/runlens"; then
    spec="\${RUNLENS_SPEC:-}"
    if [ -z "$spec" ]; then
      if [ -f ${vendoredTarball(version)} ]; then spec=./${vendoredTarball(version)}; else spec=runlens@$RUNLENS_VERSION; fi
    fi
    echo "runlens-pipeline: installing $spec into $prefix" >&2
    # shellcheck disable=SC2086 # RUNLENS_NPM_FLAGS is a list of flags
    npm install --global --prefix "$prefix" --prefer-offline --no-audit --no-fund \${RUNLENS_NPM_FLAGS:-} "$spec" >&2
  fi
  if ! has_version "$prefix/bin/runlens"; then
    echo "runlens-pipeline: $prefix/bin/runlens is not Runlens $RUNLENS_VERSION" >&2
    exit 2
  fi
  runlens=("$prefix/bin/runlens")
fi
echo "runlens-pipeline: $("\${runlens[@]}" --version | sed 's/^/Runlens /') ($(command -v "\${runlens[0]}" || echo "\${runlens[0]}"))" >&2

status=0
rm -f "$REPORT" "$REPORT.part"
"\${runlens[@]}" pipeline run --report "$REPORT.part" "$@" || status=$?
{
  echo "$MARKER"
  if [ -s "$REPORT.part" ]; then
    cat "$REPORT.part"
  else
    echo "### Runlens pipeline"
    echo
    echo "No gate report: the pipeline stopped before its gate stage (see the job log)."
  fi
  echo
  if [ "$status" = 0 ]; then result=passed; else result="failed (exit code $status)"; fi
  echo "<sub>Runlens $RUNLENS_VERSION · pipeline $result</sub>"
} >"$REPORT"
rm -f "$REPORT.part"
cat "$REPORT"
exit "$status"
`;
}

/** Posts or updates the merge-request note (GitLab), found by the marker. Node 18+, no packages. */
export function gitlabNoteScript(): string {
  return `// Posts the gate report (${GATE_REPORT_FILE}) as one note on the merge request and updates that note on
// later pushes (the note that holds the marker). Needs a project or personal access token with the api
// scope in the CI/CD variable RUNLENS_GITLAB_TOKEN (masked); without it, or outside a merge request, it
// only says why it did nothing. Never fails the job.
const fs = require('node:fs');
const marker = '${REPORT_MARKER}';
const env = process.env;

async function main() {
  if (!env.CI_MERGE_REQUEST_IID) return console.log('runlens-note: not a merge request pipeline');
  if (!env.RUNLENS_GITLAB_TOKEN) return console.log('runlens-note: set RUNLENS_GITLAB_TOKEN to post the report');
  if (!fs.existsSync('${GATE_REPORT_FILE}')) return console.log('runlens-note: no ${GATE_REPORT_FILE}');
  const body = fs.readFileSync('${GATE_REPORT_FILE}', 'utf8');
  const base = \`\${env.CI_API_V4_URL}/projects/\${encodeURIComponent(env.CI_PROJECT_ID)}/merge_requests/\${env.CI_MERGE_REQUEST_IID}/notes\`;
  const headers = { 'PRIVATE-TOKEN': env.RUNLENS_GITLAB_TOKEN, 'Content-Type': 'application/json' };
  let found;
  for (let page = 1; !found; page++) {
    const r = await fetch(\`\${base}?per_page=100&page=\${page}\`, { headers });
    if (!r.ok) throw new Error(\`listing notes: HTTP \${r.status}\`);
    const notes = await r.json();
    found = notes.find((n) => !n.system && (n.body || '').includes(marker));
    if (notes.length < 100) break;
  }
  const r = await fetch(found ? \`\${base}/\${found.id}\` : base, {
    method: found ? 'PUT' : 'POST',
    headers,
    body: JSON.stringify({ body }),
  });
  if (!r.ok) throw new Error(\`\${found ? 'updating' : 'posting'} the note: HTTP \${r.status}\`);
  console.log(\`runlens-note: \${found ? 'updated' : 'posted'} the gate report\`);
}

main().catch((e) => console.log(\`runlens-note: \${e.message}\`));
`;
}

const HEADER_RE = /^(?:#|\/\/) runlens ci init (\S+) sha256:([0-9a-f]{64})\b.*\n/m;

/**
 * A generated text file with its header line: the version that wrote it and the sha256 of the rest,
 * so a later `runlens ci init` replaces it only while nobody edited it. The header goes after a
 * shebang line, if any.
 */
export function withHeader(text: string, version: string, comment: '#' | '//'): string {
  const hash = createHash('sha256').update(text).digest('hex');
  const header = `${comment} runlens ci init ${version} sha256:${hash} (edited? \`runlens ci init\` keeps it; --force replaces it)\n`;
  const nl = text.startsWith('#!') ? text.indexOf('\n') + 1 : 0;
  return text.slice(0, nl) + header + text.slice(nl);
}

/** Whether a file is as `runlens ci init` wrote it: its header's hash matches the rest. */
export function isUnedited(text: string): boolean {
  const m = HEADER_RE.exec(text);
  if (!m) return false;
  const rest = text.slice(0, m.index) + text.slice(m.index + m[0].length);
  return createHash('sha256').update(rest).digest('hex') === m[2];
}

export interface CiInitOptions {
  provider?: CiProvider;
  /** Replace files that were edited (or not written by runlens ci init). */
  force?: boolean;
  /** Also write ci/runlens-<version>.tgz, the package of this Runlens, for the script to install. */
  vendor?: boolean;
}

export interface CiFile {
  path: string;
  /** written: new; updated: replaced an unedited older one; unchanged: same content; replaced: --force over an edited one. */
  action: 'written' | 'updated' | 'unchanged' | 'replaced';
}

/** The files `runlens ci init` writes for a provider, with their text. */
export function ciFiles(root: string, provider: CiProvider, version = runlensVersion()): [string, string][] {
  const yaml = (doc: Record<string, unknown>) => stringify(doc, { lineWidth: 0 });
  if (provider === 'gitlab') {
    return [
      [GITLAB_FILE, withHeader(yaml(gitlabCiFor(root, version)), version, '#')],
      [SCRIPT_FILE, withHeader(pipelineScript(version), version, '#')],
      [GITLAB_NOTE_FILE, withHeader(gitlabNoteScript(), version, '//')],
    ];
  }
  return [
    [WORKFLOW_FILE, withHeader(yaml(workflowFor(root, version)), version, '#')],
    [SCRIPT_FILE, withHeader(pipelineScript(version), version, '#')],
  ];
}

/**
 * Write the CI files. A file that exists is replaced only when `runlens ci init` wrote it and nobody
 * edited it since (its header's hash), or with `force`; otherwise nothing is written and the error
 * names the edited files.
 */
export function initCi(root: string, options: CiInitOptions = {}): CiFile[] {
  const version = runlensVersion();
  const files = ciFiles(root, options.provider ?? 'github', version);
  const plan: CiFile[] = [];
  const edited: string[] = [];
  for (const [rel, text] of files) {
    const abs = path.join(root, rel);
    const old = fs.existsSync(abs) ? fs.readFileSync(abs, 'utf8') : undefined;
    if (old === undefined) plan.push({ path: rel, action: 'written' });
    else if (old === text) plan.push({ path: rel, action: 'unchanged' });
    else if (isUnedited(old)) plan.push({ path: rel, action: 'updated' });
    else {
      edited.push(rel);
      plan.push({ path: rel, action: 'replaced' });
    }
  }
  if (edited.length && !options.force) {
    throw new RunlensError(
      `${edited.join(' and ')} ${edited.length > 1 ? 'were' : 'was'} edited since \`runlens ci init\` wrote ${edited.length > 1 ? 'them' : 'it'} (or ${edited.length > 1 ? 'were' : 'was'} not written by it); nothing was written`,
      'pass --force to replace (your changes are lost), or move the file away and merge by hand',
      'conflict',
    );
  }
  for (const [rel, text] of files) {
    const abs = path.join(root, rel);
    if (plan.find((p) => p.path === rel)?.action === 'unchanged') continue;
    mkdirp(path.dirname(abs));
    writeFileAtomic(abs, text);
    if (rel.endsWith('.sh')) fs.chmodSync(abs, 0o755);
  }
  if (options.vendor) plan.push(vendor(root, version));
  return plan;
}

/**
 * Pack this Runlens (its package folder: the installed npm package, the extension, or a built
 * checkout) into ci/runlens-<version>.tgz with `npm pack`, removing other versions' tarballs.
 */
function vendor(root: string, version: string): CiFile {
  const pkg = clientPaths().packageRoot;
  if (!fs.existsSync(path.join(pkg, 'dist', 'cli.js')))
    throw new RunlensError(`${pkg} has no dist/cli.js to pack`, 'build it first: npm run build', 'usage');
  const rel = vendoredTarball(version);
  const dir = path.join(root, path.dirname(rel));
  mkdirp(dir);
  const existed = fs.existsSync(path.join(root, rel));
  for (const f of fs.readdirSync(dir))
    if (/^runlens-.+\.tgz$/.test(f) && f !== path.basename(rel)) fs.rmSync(path.join(dir, f));
  const r = spawnSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir, pkg], {
    encoding: 'utf8',
    shell: process.platform === 'win32',
  });
  if (r.status !== 0 || !fs.existsSync(path.join(root, rel))) {
    throw new RunlensError(
      `npm pack ${pkg} failed: ${(r.stderr || r.error?.message || `exit code ${r.status}`).trim()}`,
      'npm must be on PATH for --vendor',
    );
  }
  return { path: rel, action: existed ? 'updated' : 'written' };
}

const EVENTS = new Set([
  'push',
  'pull_request',
  'pull_request_target',
  'workflow_dispatch',
  'schedule',
  'workflow_call',
  'release',
  'merge_group',
  'workflow_run',
  'issue_comment',
]);
const JOB_KEYS = new Set([
  'name',
  'runs-on',
  'steps',
  'needs',
  'if',
  'env',
  'timeout-minutes',
  'permissions',
  'strategy',
  'continue-on-error',
  'container',
  'services',
  'outputs',
  'defaults',
  'environment',
  'concurrency',
  'uses',
  'with',
  'secrets',
]);
const STEP_KEYS = new Set([
  'id',
  'if',
  'name',
  'uses',
  'run',
  'with',
  'env',
  'shell',
  'working-directory',
  'continue-on-error',
  'timeout-minutes',
]);
const PERMISSION_LEVELS = new Set(['read', 'write', 'none']);

/**
 * The rules of GitHub's workflow schema (schemastore's github-workflow.json) that a generated
 * workflow must meet: `on` with known events, `jobs` with ids matching ^[_a-zA-Z][a-zA-Z0-9_-]*$,
 * each job with runs-on and steps, each step exactly one of uses/run, `uses` as owner/repo@ref.
 */
export function checkWorkflow(doc: unknown): string[] {
  const problems: string[] = [];
  if (typeof doc !== 'object' || doc === null) return ['the workflow is not a mapping'];
  const w = doc as Record<string, unknown>;
  const on = w.on;
  if (on === undefined) problems.push('missing "on"');
  else {
    const events = typeof on === 'string' ? [on] : Array.isArray(on) ? on : Object.keys(on as object);
    for (const e of events) if (!EVENTS.has(String(e))) problems.push(`unknown event "${e}"`);
  }
  if (w.permissions !== undefined && typeof w.permissions === 'object') {
    for (const [k, v] of Object.entries(w.permissions as object))
      if (!PERMISSION_LEVELS.has(String(v)))
        problems.push(`permissions.${k}: ${v} is not read, write or none`);
  }
  const jobs = w.jobs as Record<string, unknown> | undefined;
  if (!jobs || typeof jobs !== 'object' || Object.keys(jobs).length === 0) {
    problems.push('missing "jobs"');
    return problems;
  }
  for (const [id, j] of Object.entries(jobs)) {
    if (!/^[_a-zA-Z][a-zA-Z0-9_-]*$/.test(id)) problems.push(`job id "${id}" is not valid`);
    const job = j as Record<string, unknown>;
    for (const k of Object.keys(job)) if (!JOB_KEYS.has(k)) problems.push(`jobs.${id}: unknown key "${k}"`);
    if (job.uses) continue;
    if (!job['runs-on']) problems.push(`jobs.${id}: missing runs-on`);
    if (!Array.isArray(job.steps) || job.steps.length === 0) {
      problems.push(`jobs.${id}: missing steps`);
      continue;
    }
    job.steps.forEach((s: Record<string, unknown>, i: number) => {
      const where = `jobs.${id}.steps[${i}]`;
      for (const k of Object.keys(s)) if (!STEP_KEYS.has(k)) problems.push(`${where}: unknown key "${k}"`);
      if ('uses' in s === 'run' in s) problems.push(`${where}: needs exactly one of uses and run`);
      if (typeof s.uses === 'string' && !/^[\w.-]+\/[\w./-]+@[\w.-]+$|^\.\/|^docker:\/\//.test(s.uses))
        problems.push(`${where}: uses "${s.uses}" is not owner/repo@ref`);
      if ('with' in s && (typeof s.with !== 'object' || s.with === null))
        problems.push(`${where}: with must be a mapping`);
      if ('run' in s && typeof s.run !== 'string') problems.push(`${where}: run must be a string`);
    });
  }
  return problems;
}
