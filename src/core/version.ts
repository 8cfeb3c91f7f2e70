import * as fs from 'node:fs';
import * as path from 'node:path';
import { clientPaths } from './tracking/launchEnv';

let cached: string | undefined;

/**
 * The version of the Runlens running this code: stamped into the bundles at build time
 * (scripts/build.js defines RUNLENS_BUILD_VERSION), else read from the package.json of the checkout
 * (source run through tsx).
 */
export function runlensVersion(): string {
  cached ??=
    process.env.RUNLENS_BUILD_VERSION ||
    String(JSON.parse(fs.readFileSync(path.join(clientPaths().packageRoot, 'package.json'), 'utf8')).version);
  return cached;
}
