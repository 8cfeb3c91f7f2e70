import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { RunlensError } from '../errors';
import { mkdirp, writeFileAtomic } from '../store/fsutil';

export const WORKFLOW_FILE = '.github/workflows/runlens.yml';
export const SCRIPT_FILE = 'ci/runlens-pipeline.sh';
/** Where the shell entry point leaves the gate's Markdown report for the PR comment. */
export const GATE_REPORT_FILE = 'runlens-gate.md';

type Step = Record<string, unknown>;

/** The GitHub Actions workflow for a workspace: install, run the pipeline, upload .runlens, comment the gate. */
export function workflowFor(root: string): Record<string, unknown> {
  const steps: Step[] = [{ uses: 'actions/checkout@v4' }];
  if (fs.existsSync(path.join(root, 'package.json'))) {
    const lock = fs.existsSync(path.join(root, 'package-lock.json'));
    steps.push(
      { uses: 'actions/setup-node@v4', with: { 'node-version': 20, ...(lock ? { cache: 'npm' } : {}) } },
      { name: 'Install the project', run: lock ? 'npm ci' : 'npm install' },
    );
  } else {
    steps.push({ uses: 'actions/setup-node@v4', with: { 'node-version': 20 } });
  }
  if (fs.existsSync(path.join(root, 'requirements.txt'))) {
    steps.push(
      { uses: 'actions/setup-python@v5', with: { 'python-version': '3.12' } },
      { name: 'Install Python requirements', run: 'pip install -r requirements.txt' },
    );
  }
  steps.push(
    { name: 'Run the Runlens pipeline', id: 'pipeline', run: `bash ${SCRIPT_FILE}` },
    {
      name: 'Upload the run store',
      if: 'always()',
      uses: 'actions/upload-artifact@v4',
      with: {
        name: 'runlens-store',
        path: '.runlens',
        'include-hidden-files': true,
        'if-no-files-found': 'warn',
      },
    },
    {
      name: 'Comment the gate report on the pull request',
      if: "always() && github.event_name == 'pull_request'",
      uses: 'actions/github-script@v7',
      with: {
        script: [
          "const fs = require('fs');",
          `if (!fs.existsSync('${GATE_REPORT_FILE}')) { core.info('no gate report'); return; }`,
          'await github.rest.issues.createComment({',
          '  owner: context.repo.owner,',
          '  repo: context.repo.repo,',
          '  issue_number: context.issue.number,',
          `  body: fs.readFileSync('${GATE_REPORT_FILE}', 'utf8'),`,
          '});',
        ].join('\n'),
      },
    },
  );
  return {
    name: 'Runlens pipeline',
    on: { pull_request: {}, workflow_dispatch: {} },
    permissions: { contents: 'read', 'pull-requests': 'write' },
    jobs: { pipeline: { 'runs-on': 'ubuntu-latest', 'timeout-minutes': 60, steps } },
  };
}

export const PIPELINE_SCRIPT = `#!/usr/bin/env bash
# Runs the Runlens pipeline (runlens.yaml) the same way in any CI system, and leaves the gate's
# Markdown report in ${GATE_REPORT_FILE}. Exit code: non-zero when a stage (or the gate) failed.
set -euo pipefail
RUNLENS="\${RUNLENS:-npx --yes runlens}"
status=0
$RUNLENS pipeline run --report ${GATE_REPORT_FILE} "$@" || status=$?
if [ -f ${GATE_REPORT_FILE} ]; then cat ${GATE_REPORT_FILE}; fi
exit "$status"
`;

/** Write the workflow and the shell entry point; refuses to overwrite without `force`. */
export function initCi(root: string, options: { force?: boolean } = {}): string[] {
  const files: [string, string][] = [
    [WORKFLOW_FILE, `# Written by \`runlens ci init\`.\n${stringify(workflowFor(root), { lineWidth: 0 })}`],
    [SCRIPT_FILE, PIPELINE_SCRIPT],
  ];
  if (!options.force) {
    const existing = files.map(([f]) => f).filter((f) => fs.existsSync(path.join(root, f)));
    if (existing.length) {
      throw new RunlensError(
        `${existing.join(' and ')} already exist`,
        'pass --force to overwrite',
        'conflict',
      );
    }
  }
  for (const [rel, text] of files) {
    const abs = path.join(root, rel);
    mkdirp(path.dirname(abs));
    writeFileAtomic(abs, text);
    if (rel.endsWith('.sh')) fs.chmodSync(abs, 0o755);
  }
  return files.map(([f]) => f);
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
