// Python search_runs over a 10,000-run store: reading the index (index.listing as `runlens ls` left it,
// and the journal) against reading index.json instead (no listing) and against reading every run.json
// (what it does when the index is missing), with `runlens ls --json` on the same store and the same
// query as the baseline. Whole processes.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../helpers/tmp';
import { benchDir, record } from './common';
import { writeSyntheticStore } from './syntheticStore';

const RUNS = 10_000;
const FILTER = "metrics.acc > 0.5 and params.optimizer = 'adam'";
const ORDER = 'metrics.acc DESC';
const cli = path.join(repoRoot, 'dist', 'cli.js');
const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Best of 5 whole-process wall times (the machine is shared); the row counts must agree. */
function measure(bin: string, args: string[], cwd: string): { ms: number; rows: number } {
  let ms = Infinity;
  let rows = -1;
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(bin, args, {
      cwd,
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      // the client's bytecode cached outside the checkout, as an installed package has it (the
      // first of the five runs writes it; an inherited PYTHONDONTWRITEBYTECODE would make every run
      // compile the client and, with the prefix set, the standard library too)
      env: {
        ...process.env,
        RUNLENS_STORE: '',
        PYTHONPYCACHEPREFIX: path.join(cwd, '.pycache'),
        PYTHONDONTWRITEBYTECODE: '',
      },
    });
    ms = Math.min(ms, Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed: ${r.stderr}`);
    rows = bin === python ? Number(r.stdout.trim()) : (JSON.parse(r.stdout) as unknown[]).length;
  }
  return { ms, rows };
}

export async function pySearchBench(): Promise<void> {
  const dir = benchDir('pysearch');
  const store = writeSyntheticStore(dir, RUNS);
  store.listRuns(); // the index, as any runlens command leaves it
  const index = path.join(store.dir, 'index.json');
  const script = `import sys
sys.path.insert(0, ${JSON.stringify(path.join(repoRoot, 'clients', 'python'))})
import runlens
print(len(runlens.search_runs(${JSON.stringify(FILTER)}, order_by=${JSON.stringify(ORDER)}, output_format="list")))
`;
  const ls = measure(process.execPath, [cli, 'ls', '--json', '-w', FILTER, '--sort', ORDER], dir);
  const indexed = measure(python, ['-c', script], dir);
  // Without index.listing: the entries come from index.json (the listing is put back after).
  const listing = path.join(store.dir, 'index.listing');
  const listingBytes = fs.readFileSync(listing);
  fs.rmSync(listing);
  let fromJson: { ms: number; rows: number };
  try {
    fromJson = measure(python, ['-c', script], dir);
  } finally {
    fs.writeFileSync(listing, listingBytes);
  }
  // Without index.json: every run.json is read (and a warning printed), as before the index was read.
  const saved = index + '.saved';
  fs.renameSync(index, saved);
  let scanned: { ms: number; rows: number };
  try {
    scanned = measure(python, ['-c', script], dir);
  } finally {
    fs.renameSync(saved, index);
  }
  if (indexed.rows !== ls.rows || fromJson.rows !== ls.rows || scanned.rows !== ls.rows)
    throw new Error(
      `rows differ: ls ${ls.rows}, listing ${indexed.rows}, index.json ${fromJson.rows}, run.json ${scanned.rows}`,
    );
  const what = `${RUNS.toLocaleString('en-US')} runs, ${ls.rows} rows, whole process`;
  record({
    name: `Python search_runs from the index (${what})`,
    value: indexed.ms,
    unit: 'ms',
    baselineName: 'runlens ls --json, same query',
    baseline: ls.ms,
    target: 'ratio <= 1 (as fast as the CLI)',
    pass: indexed.ms / ls.ms <= 1,
  });
  record({
    name: `Python search_runs from the index (${what})`,
    value: indexed.ms,
    unit: 'ms',
    baselineName: 'Python search_runs from index.json (no index.listing)',
    baseline: fromJson.ms,
    target: 'ratio < 1',
    pass: indexed.ms / fromJson.ms < 1,
  });
  record({
    name: `Python search_runs from the index (${what})`,
    value: indexed.ms,
    unit: 'ms',
    baselineName: 'Python search_runs reading every run.json (no index.json)',
    baseline: scanned.ms,
    target: 'ratio < 1',
    pass: indexed.ms / scanned.ms < 1,
  });
}
