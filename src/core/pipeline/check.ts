// The parser's checks against the machine: inputs on disk, commands on PATH.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PipelineDef, SourcePos } from './types';

const SHELL_BUILTINS = new Set([
  ':',
  '.',
  '[',
  'cd',
  'echo',
  'exit',
  'export',
  'false',
  'printf',
  'pwd',
  'set',
  'source',
  'test',
  'true',
  'exec',
  'eval',
  'if',
  'for',
  'while',
  'case',
  'env',
]);

/** Whether a stage input exists in the pipeline's folder. */
export function inputExists(root: string, dep: string): boolean {
  return fs.existsSync(path.resolve(root, dep));
}

/** The first word of a command, when it is a program to look up (not an assignment or builtin). */
export function programOf(cmd: string): string | undefined {
  const words = cmd.trim().split(/\s+/);
  const first = words.find((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
  if (!first || SHELL_BUILTINS.has(first) || /[$`(){}|;&<>]/.test(first)) return undefined;
  return first.replace(/^["']|["']$/g, '');
}

/** Whether a program is found: a path relative to `cwd`, or a name on PATH. */
export function programExists(program: string, cwd: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (program.includes('/') || program.includes('\\')) return fs.existsSync(path.resolve(cwd, program));
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      try {
        const st = fs.statSync(path.join(dir, program + ext));
        if (st.isFile()) return true;
      } catch {
        /* not in this folder */
      }
    }
  }
  return false;
}

export function checkCommands(p: PipelineDef, err: (pos: SourcePos, m: string) => void): void {
  for (const s of p.stages) {
    if (!s.cmd) continue;
    const prog = programOf(s.cmd);
    if (prog && !programExists(prog, p.root)) {
      err(
        s.fieldPos.cmd ?? s.pos,
        `stage "${s.name}": command "${prog}" not found (on PATH or in ${p.root})`,
      );
    }
  }
}
