import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { Commands, SETTINGS_SECTION, Settings, TRUSTED_COMMANDS, Views } from '../../../src/extension/ids';
import { repoRoot } from '../../helpers/tmp';

const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
const contributes = manifest.contributes;

describe('package.json and the extension agree', () => {
  test('every command constant is contributed, and nothing else', () => {
    const contributed = contributes.commands.map((c: { command: string }) => c.command).sort();
    assert.deepEqual(contributed, Object.values(Commands).sort());
    for (const c of contributes.commands)
      assert.equal(c.category, 'Runlens', `${c.command} is in the Runlens category`);
  });

  test('menus name only contributed commands, and views exist', () => {
    const known = new Set(Object.values(Commands));
    for (const [menu, items] of Object.entries(contributes.menus as Record<string, { command: string }[]>)) {
      for (const item of items) assert.ok(known.has(item.command as never), `${menu}: ${item.command}`);
    }
    const views = contributes.views.runlens.map((v: { id: string }) => v.id).sort();
    assert.deepEqual(views, [Views.experiments, Views.models, Views.pipeline, Views.team].sort());
    assert.equal(contributes.viewsContainers.activitybar[0].id, Views.container);
  });

  test('every setting the code reads is declared', () => {
    const declared = Object.keys(contributes.configuration.properties).sort();
    assert.deepEqual(
      declared,
      Object.values(Settings)
        .map((s) => `${SETTINGS_SECTION}.${s}`)
        .sort(),
    );
  });

  test('commands that run workspace code are disabled in untrusted workspaces', () => {
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
    const gated = contributes.commands
      .filter((c: { enablement?: string }) => /\bisWorkspaceTrusted\b/.test(c.enablement ?? ''))
      .map((c: { command: string }) => c.command)
      .sort();
    assert.deepEqual(
      gated,
      [...TRUSTED_COMMANDS].sort(),
      'enablement and the run-time check name the same commands',
    );
    for (const id of [
      Commands.runPipeline,
      Commands.serveModel,
      Commands.startContinuousTraining,
      Commands.runScript,
    ])
      assert.ok(TRUSTED_COMMANDS.has(id), id);
  });

  test('the workspace cannot move the store or pick the interpreter in Restricted Mode', () => {
    const restricted: string[] = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations;
    for (const key of [Settings.storePath, Settings.pythonPath, Settings.entryPoints])
      assert.ok(restricted.includes(`${SETTINGS_SECTION}.${key}`), key);
  });

  test('every command is registered through the one wrapper (trust check and error report)', () => {
    const dir = path.join(repoRoot, 'src', 'extension');
    const direct = (fs.readdirSync(dir, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts') && f !== path.join('shared', 'registerCommand.ts'))
      .filter((f) => fs.readFileSync(path.join(dir, f), 'utf8').includes('commands.registerCommand('));
    assert.deepEqual(direct, []);
  });

  test("commands are registered in each feature's register.ts table, not in class constructors", () => {
    const dir = path.join(repoRoot, 'src', 'extension');
    // The evaluation feature's table sits in its constructor, beside the two panels it owns.
    const allowed = new Set([
      path.join('shared', 'registerCommand.ts'),
      path.join('evaluation', 'evaluationFeature.ts'),
    ]);
    const elsewhere = (fs.readdirSync(dir, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts') && path.basename(f) !== 'register.ts' && !allowed.has(f))
      .filter((f) => /\bregisterCommands?\(/.test(fs.readFileSync(path.join(dir, f), 'utf8')));
    assert.deepEqual(elsewhere, []);
  });

  test('the .vsix holds the bundles and no sources, tests or fixtures', () => {
    const r = spawnSync(path.join(repoRoot, 'node_modules', '.bin', 'vsce'), ['ls', '--no-dependencies'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const files = r.stdout.trim().split('\n').sort();
    for (const f of [
      'dist/extension.js',
      'dist/cli.js',
      'dist/client.js',
      'clients/python/runlens.py',
      'package.json',
      'media/runlens.svg',
    ]) {
      assert.ok(files.includes(f), `${f} is packaged`);
    }
    for (const f of files)
      assert.doesNotMatch(
        f,
        /^(src|test|examples|scripts|webview-ui|node_modules)\/|\.ts$|\.map$/,
        `${f} must not be packaged`,
      );
  });

  test('the npm package holds exactly what the .vsix holds (.npmignore is .vscodeignore)', () => {
    const read = (f: string) => fs.readFileSync(path.join(repoRoot, f), 'utf8');
    assert.equal(read('.npmignore'), read('.vscodeignore'));
    assert.equal(
      manifest.files,
      undefined,
      'a files list next to .vscodeignore makes vsce refuse to package',
    );
    const vsce = spawnSync(path.join(repoRoot, 'node_modules', '.bin', 'vsce'), ['ls', '--no-dependencies'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    assert.equal(vsce.status, 0, vsce.stderr);
    const npm = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    assert.equal(npm.status, 0, npm.stderr);
    const packed = (JSON.parse(npm.stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
    assert.deepEqual(packed.sort(), vsce.stdout.trim().split('\n').sort());
  });
});
