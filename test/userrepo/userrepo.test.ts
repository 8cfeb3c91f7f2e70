// The user-repository tier: Runlens as a user gets it, in a repository that holds only their project.
// `npm pack` of this checkout (its prepack builds), installed into an empty prefix; a temporary git
// repository outside the checkout with a copy of the quickstart; every command under `env -i` with
// only that prefix and the system on PATH and a temporary HOME. `runlens ci init --vendor` writes the
// CI files, then the generated script runs the pipeline three times: first run passes, second skips
// what is up to date (and installs the vendored package itself, runlens not being on PATH), and a
// commit that makes the model worse fails the gate with nothing registered or packaged.
import assert from 'node:assert/strict';
import type { SpawnSyncReturns } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { checkWorkflow, GITHUB_COMMENT_SCRIPT, isUnedited, REPORT_MARKER } from '../../src/core/pipeline/ci';
import { repoRoot, tempDir } from '../helpers/tmp';

const VERSION: string = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version;
const SYSTEM_PATH = ['/usr/local/bin', '/usr/bin', '/bin'];
// node itself when it lives elsewhere (nvm and the like): still "the system" for this machine
const nodeDir = path.dirname(process.execPath);
if (!SYSTEM_PATH.includes(nodeDir)) SYSTEM_PATH.push(nodeDir);
const npmCache = spawnSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).stdout.trim();
/**
 * How this machine reaches the registry (its CA file, proxy, registry), as npm_config_* variables:
 * npm reads them from its global npmrc, `{prefix}/etc/npmrc`, and a command with `--prefix` of an
 * empty folder reads none (behind a TLS-inspecting proxy every fetch then failed with
 * SELF_SIGNED_CERT_IN_CHAIN and was retried until the test's timeout).
 */
const npmNetwork: Record<string, string> = Object.fromEntries(
  spawnSync('npm', ['config', 'get', 'registry', 'cafile', 'proxy', 'https-proxy', 'strict-ssl', 'noproxy'], {
    encoding: 'utf8',
  })
    .stdout.split('\n')
    .map((line) => /^([\w-]+)=(.*)$/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null && m[2] !== '' && m[2] !== 'null' && m[2] !== 'undefined')
    .map((m) => [`npm_config_${m[1].replace(/-/g, '_')}`, m[2]]),
);

let prefix = '';
let repo = '';
let home = '';

function log(title: string, text: string): void {
  console.log(`--- ${title}\n${text.trimEnd()}\n---`);
}

/**
 * `env -i` with only PATH, HOME, npm's cache (so the registry is needed only for what it lacks) and how
 * npm reaches the registry here.
 */
function run(
  cmd: string[],
  opts: { path?: string[]; env?: Record<string, string> } = {},
): SpawnSyncReturns<string> {
  const vars = {
    PATH: (opts.path ?? [path.join(prefix, 'bin'), ...SYSTEM_PATH]).join(':'),
    HOME: home,
    LANG: 'C.UTF-8',
    npm_config_cache: npmCache,
    ...npmNetwork,
    npm_config_update_notifier: 'false',
    ...opts.env,
  };
  return spawnSync('/usr/bin/env', ['-i', ...Object.entries(vars).map(([k, v]) => `${k}=${v}`), ...cmd], {
    cwd: repo,
    encoding: 'utf8',
    timeout: 300_000,
  });
}

function ok(r: SpawnSyncReturns<string>, what: string): SpawnSyncReturns<string> {
  assert.equal(r.status, 0, `${what} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

const git = (...args: string[]) => ok(run(['git', ...args]), `git ${args.join(' ')}`);

function modelVersions(): number {
  const r = ok(run(['runlens', 'model', 'ls', '--json']), 'runlens model ls');
  const models = JSON.parse(r.stdout) as { name: string; versions: unknown[] }[];
  return models.find((m) => m.name === 'quickstart-classifier')?.versions.length ?? 0;
}

describe('Runlens in a user repository (packed tarball, empty prefix, env -i)', () => {
  before(() => {
    const work = tempDir('runlens-userrepo-');
    home = path.join(work, 'home');
    prefix = path.join(work, 'prefix');
    repo = path.join(work, 'project');
    fs.mkdirSync(home);
    fs.mkdirSync(prefix);
    // npm pack runs prepack: the production build and the client's type declarations
    const pack = spawnSync('npm', ['pack', '--pack-destination', work], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(pack.status, 0, pack.stderr);
    const tarball = path.join(work, `runlens-${VERSION}.tgz`);
    assert.ok(fs.existsSync(tarball), pack.stdout);
    const listing = spawnSync('tar', ['tzf', tarball], { encoding: 'utf8' }).stdout.split('\n');
    assert.ok(
      listing.includes('package/dist/cli.js') && listing.includes('package/clients/python/runlens.py'),
    );
    assert.ok(
      !listing.some((f) => f.startsWith('package/test/') || f.startsWith('package/src/')),
      'no tests',
    );
    log(
      `npm pack: ${listing.filter(Boolean).length} files`,
      `${(fs.statSync(tarball).size / 1e6).toFixed(2)} MB`,
    );
    // the user's project: the quickstart without its store or outputs, in a git repository of its own
    fs.cpSync(path.join(repoRoot, 'examples', 'quickstart'), repo, {
      recursive: true,
      filter: (src) => !/[/\\](\.runlens|serving|node_modules)$/.test(src),
    });
    fs.writeFileSync(path.join(repo, '.gitignore'), '.runlens/\nserving/\nrunlens-gate.md\n');
    // the package's dependencies (TensorFlow.js) from npm's cache; optional tfjs-node would download
    // libtensorflow, which this machine cannot
    ok(
      run(
        [
          'npm',
          'install',
          '--global',
          '--prefix',
          prefix,
          '--prefer-offline',
          '--omit=optional',
          '--no-audit',
          '--no-fund',
          tarball,
        ],
        { path: SYSTEM_PATH },
      ),
      'npm install -g --prefix',
    );
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 'ci@example.com');
    git('config', 'user.name', 'CI');
    git('add', '-A');
    git('commit', '-q', '-m', 'the project');
  });

  test('runlens from the prefix is the packed version; ci init writes pinned, parseable CI files', () => {
    const which = ok(run(['sh', '-c', 'command -v runlens; runlens --version']), 'runlens --version');
    assert.deepEqual(which.stdout.trim().split('\n'), [path.join(prefix, 'bin', 'runlens'), VERSION]);
    const init = ok(run(['runlens', 'ci', 'init', '--vendor']), 'runlens ci init --vendor');
    log('runlens ci init --vendor', init.stdout + init.stderr);
    assert.ok(fs.existsSync(path.join(repo, `ci/runlens-${VERSION}.tgz`)), 'the vendored package');

    const text = fs.readFileSync(path.join(repo, '.github/workflows/runlens.yml'), 'utf8');
    assert.ok(isUnedited(text), 'the header hash matches');
    assert.match(
      text.split('\n')[0],
      new RegExp(`^# runlens ci init ${VERSION.replace(/\./g, '\\.')} sha256:`),
    );
    const wf = parseYaml(text) as {
      permissions: Record<string, string>;
      on: Record<string, unknown>;
      jobs: { pipeline: { steps: { uses?: string; run?: string; with?: Record<string, string> }[] } };
    };
    assert.deepEqual(checkWorkflow(wf), []);
    assert.deepEqual(wf.permissions, { contents: 'read', 'pull-requests': 'write' });
    assert.ok('pull_request' in wf.on);
    const steps = wf.jobs.pipeline.steps;
    for (const s of steps.filter((x) => x.uses))
      assert.match(s.uses!, /^actions\/[\w-]+@v\d+$/, 'every action pinned to a major version');
    assert.ok(steps.some((s) => s.run === 'bash ci/runlens-pipeline.sh'));
    assert.ok(!steps.some((s) => /npx|runlens@latest/.test(s.run ?? '')), 'no unpinned runlens');
    assert.ok(
      !steps.some((s) => s.uses?.startsWith('actions/setup-python')),
      'no stage of the quickstart runs Python',
    );
    const caches = steps.filter((s) => s.uses?.startsWith('actions/cache@'));
    assert.match(caches[0].with!.path, /~\/\.npm/);
    assert.match(caches[0].with!.key, new RegExp(`runlens-${VERSION.replace(/\./g, '\\.')}-`));
    assert.equal(caches[1].with!.path, '.runlens');
    const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    assert.match(upload!.with!.path, /^\.runlens$/m);
    const comment = steps.find((s) => s.uses?.startsWith('actions/github-script@'));
    assert.ok(comment!.with!.script.includes(REPORT_MARKER));

    const script = fs.readFileSync(path.join(repo, 'ci/runlens-pipeline.sh'), 'utf8');
    assert.match(script, new RegExp(`^RUNLENS_VERSION=${VERSION.replace(/\./g, '\\.')}$`, 'm'));
    assert.ok(isUnedited(script));
    git('add', '-A');
    git('commit', '-q', '-m', 'runlens ci init');
  });

  test('the generated script: pass, then up to date, then a worse model fails the gate', () => {
    const report = path.join(repo, 'runlens-gate.md');
    const manifest = path.join(repo, 'serving/quickstart-classifier/manifest.json');

    const first = run(['bash', 'ci/runlens-pipeline.sh']);
    log('first run (stderr, epochs elided)', first.stderr.replace(/^epoch .*\n/gm, ''));
    ok(first, 'first run');
    const firstReport = fs.readFileSync(report, 'utf8');
    log('gate report after the first run', firstReport);
    assert.equal(firstReport.split('\n')[0], REPORT_MARKER);
    assert.match(firstReport, /Runlens gate: ✅ pass/);
    assert.match(first.stderr, /✓ register +succeeded/);
    assert.equal(modelVersions(), 1);
    assert.ok(fs.existsSync(manifest), 'packaged');
    const packaged = fs.readFileSync(manifest, 'utf8');

    // runlens not on PATH: the script installs the vendored package of its pinned version itself
    const cacheHome = path.join(home, '.cache');
    const second = run(['bash', 'ci/runlens-pipeline.sh'], { path: SYSTEM_PATH });
    log('second run, runlens not on PATH (stderr)', second.stderr.replace(/^npm warn .*\n/gm, ''));
    ok(second, 'second run');
    assert.match(
      second.stderr,
      new RegExp(`installing \\./ci/runlens-${VERSION.replace(/\./g, '\\.')}\\.tgz`),
    );
    assert.ok(fs.existsSync(path.join(cacheHome, 'runlens', VERSION, 'bin', 'runlens')));
    const stages = second.stderr
      .split('\n')
      .filter((l) => /^\S [\w-]+ +(skipped|succeeded|failed|blocked) \(/.test(l));
    assert.equal(stages.length, 7, second.stderr);
    assert.ok(
      stages.every((l) => /skipped \(up to date/.test(l)),
      `every stage up to date:\n${stages.join('\n')}`,
    );

    // a commit that makes the model worse
    const paramsFile = path.join(repo, 'params.json');
    const params = JSON.parse(fs.readFileSync(paramsFile, 'utf8'));
    fs.writeFileSync(paramsFile, JSON.stringify({ ...params, lr: 0.00001, epochs: 1 }, null, 2) + '\n');
    git('commit', '-q', '-am', 'a much smaller learning rate, one epoch');
    const third = run(['bash', 'ci/runlens-pipeline.sh']);
    log('third run, worse params (stderr, epochs elided)', third.stderr.replace(/^epoch .*\n/gm, ''));
    const failing = fs.readFileSync(report, 'utf8');
    log('gate report after the worse commit', failing);
    assert.notEqual(third.status, 0, 'the script fails');
    assert.equal(failing.split('\n')[0], REPORT_MARKER);
    assert.match(failing, /Runlens gate: ❌ fail/);
    assert.match(failing, /pipeline failed \(exit code 1\)/);
    assert.match(failing, /^Policy: runlens\.yaml \(gate\)$/m, 'no CI runner folders in the PR comment');
    assert.match(third.stderr, /register +blocked/);
    assert.match(third.stderr, /package +blocked/);
    assert.equal(modelVersions(), 1, 'nothing registered');
    assert.equal(fs.readFileSync(manifest, 'utf8'), packaged, 'nothing packaged');
  });

  test('the PR comment script posts once, then updates the comment that holds the marker', async () => {
    // GitHub's REST calls as actions/github-script makes them, answered from an in-memory comment list
    const comments: { id: number; body: string; user: { type: string } }[] = [
      { id: 1, body: `a person quoting ${REPORT_MARKER}`, user: { type: 'User' } },
    ];
    const calls: string[] = [];
    const github = {
      paginate: async (fn: () => Promise<unknown>) => fn(),
      rest: {
        issues: {
          listComments: async () => comments,
          createComment: async (a: { body: string }) => {
            calls.push('create');
            comments.push({ id: comments.length + 1, body: a.body, user: { type: 'Bot' } });
          },
          updateComment: async (a: { comment_id: number; body: string }) => {
            calls.push(`update ${a.comment_id}`);
            comments.find((c) => c.id === a.comment_id)!.body = a.body;
          },
        },
      },
    };
    const context = { repo: { owner: 'o', repo: 'r' }, issue: { number: 7 } };
    const core = { info: () => undefined };
    const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor;
    const post = new AsyncFunction('require', 'github', 'context', 'core', GITHUB_COMMENT_SCRIPT);
    const cwd = process.cwd();
    process.chdir(repo);
    try {
      await post(require, github, context, core);
      fs.appendFileSync(path.join(repo, 'runlens-gate.md'), '\nsecond push\n');
      await post(require, github, context, core);
    } finally {
      process.chdir(cwd);
    }
    assert.deepEqual(calls, ['create', 'update 2']);
    assert.equal(comments.length, 2);
    assert.match(comments[1].body, /second push/);
  });

  test('--provider gitlab: .gitlab-ci.yml, and the merge-request note posted once, then updated', async () => {
    const init = ok(run(['runlens', 'ci', 'init', '--provider', 'gitlab']), 'ci init --provider gitlab');
    log('runlens ci init --provider gitlab', init.stdout);
    const gl = parseYaml(fs.readFileSync(path.join(repo, '.gitlab-ci.yml'), 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    const job = gl['runlens-pipeline'];
    assert.deepEqual(job.script, ['bash ci/runlens-pipeline.sh']);
    assert.deepEqual((job.artifacts as { paths: string[] }).paths, ['.runlens/', 'runlens-gate.md']);
    assert.equal(
      (job.variables as Record<string, string>).RUNLENS_PREFIX,
      `$CI_PROJECT_DIR/.cache/runlens/${VERSION}`,
    );

    // GitLab's notes API on 127.0.0.1: list, create, update, with the token checked
    const notes: { id: number; body: string; system: boolean }[] = [];
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push(`${req.method} ${req.url?.split('?')[0]}`);
        if (req.headers['private-token'] !== 'glpat-test') return res.writeHead(401).end();
        const m = /^\/api\/v4\/projects\/42\/merge_requests\/3\/notes(?:\/(\d+))?/.exec(req.url ?? '');
        if (!m) return res.writeHead(404).end();
        res.setHeader('content-type', 'application/json');
        if (req.method === 'GET') return res.end(JSON.stringify(notes));
        const text = JSON.parse(body).body as string;
        if (req.method === 'POST') notes.push({ id: notes.length + 10, body: text, system: false });
        else notes.find((n) => n.id === Number(m[1]))!.body = text;
        res.end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const env = {
        CI_API_V4_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v4`,
        CI_PROJECT_ID: '42',
        CI_MERGE_REQUEST_IID: '3',
        RUNLENS_GITLAB_TOKEN: 'glpat-test',
      };
      // the server answers in this process: run the note script without blocking the event loop
      const asyncRun = (extra: Record<string, string>) =>
        new Promise<string>((resolve, reject) => {
          const vars = { PATH: SYSTEM_PATH.join(':'), HOME: home, ...env, ...extra };
          const child = spawn(
            '/usr/bin/env',
            ['-i', ...Object.entries(vars).map(([k, v]) => `${k}=${v}`), 'node', 'ci/runlens-gitlab-note.js'],
            { cwd: repo },
          );
          let out = '';
          child.stdout.on('data', (c) => (out += c));
          child.on('error', reject);
          child.on('close', () => resolve(out));
        });
      assert.match(await asyncRun({}), /posted the gate report/);
      assert.match(await asyncRun({}), /updated the gate report/);
      assert.match(await asyncRun({ RUNLENS_GITLAB_TOKEN: '' }), /set RUNLENS_GITLAB_TOKEN/);
    } finally {
      server.close();
    }
    assert.equal(notes.length, 1);
    assert.ok(notes[0].body.startsWith(REPORT_MARKER));
    assert.deepEqual(seen, [
      'GET /api/v4/projects/42/merge_requests/3/notes',
      'POST /api/v4/projects/42/merge_requests/3/notes',
      'GET /api/v4/projects/42/merge_requests/3/notes',
      'PUT /api/v4/projects/42/merge_requests/3/notes/10',
    ]);
  });
});
