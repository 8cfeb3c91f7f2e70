import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { Commands, SETTINGS_SECTION, Settings, Views } from '../../src/extension/ids';
import { repoRoot } from '../helpers/tmp';

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
    assert.deepEqual(views, [Views.experiments, Views.models, Views.pipeline].sort());
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
    for (const id of [
      Commands.launchTraining,
      Commands.launchTrainingWithParams,
      Commands.rerun,
      Commands.runScript,
    ]) {
      const c = contributes.commands.find((x: { command: string }) => x.command === id);
      assert.equal(c.enablement, 'isWorkspaceTrusted', id);
    }
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
});
