import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Write a `runlens` command into `binDir` that runs `cliJs` with `runtime`: VS Code's own
 * executable (Electron run as Node), so the integrated terminal has the CLI right after the .vsix is
 * installed, with no Node.js on the machine and no file that must keep an executable bit through the
 * .vsix zip. Rewritten at each activation: an updated extension moves to a new folder.
 * Returns `binDir`, the folder to put on PATH.
 */
export function writeCliShim(
  binDir: string,
  runtime: string,
  cliJs: string,
  platform: NodeJS.Platform = process.platform,
): string {
  fs.mkdirSync(binDir, { recursive: true });
  if (platform === 'win32') {
    const cmd = `@echo off\r\nset ELECTRON_RUN_AS_NODE=1\r\n"${runtime}" "${cliJs}" %*\r\n`;
    writeIfChanged(path.join(binDir, 'runlens.cmd'), cmd, 0o644);
  } else {
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const sh = `#!/bin/sh\n# runlens from the VS Code extension\nELECTRON_RUN_AS_NODE=1 exec ${q(runtime)} ${q(cliJs)} "$@"\n`;
    writeIfChanged(path.join(binDir, 'runlens'), sh, 0o755);
  }
  return binDir;
}

function writeIfChanged(file: string, content: string, mode: number): void {
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  if (old !== content) {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, content, { mode });
    fs.renameSync(tmp, file);
  }
  fs.chmodSync(file, mode);
}
