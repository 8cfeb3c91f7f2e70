import * as fs from 'node:fs';
import * as path from 'node:path';
import { clientPaths } from './tracking/launchEnv';

let cached: string | undefined;

/** The version of the Runlens running this code, from its package.json (checkout, npm package or extension). */
export function runlensVersion(): string {
  cached ??= String(
    JSON.parse(fs.readFileSync(path.join(clientPaths().packageRoot, 'package.json'), 'utf8')).version,
  );
  return cached;
}
