// `npm run bench`: each figure next to a baseline measured in the same run, with its target.
// `npm run bench -- store series` runs only the named groups.
import { chartsBench } from './charts.bench';
import { coldOpenBench } from './coldOpen.bench';
import { figures } from './common';
import { evalBenchmarks } from './eval.bench';
import { benchImporters } from './importers.bench';
import { lensBench } from './lens.bench';
import { peersBench } from './peers.bench';
import { pySearchBench } from './pySearch.bench';
import { servingBench } from './serving.bench';
import { seriesOutputBench } from './seriesOutput.bench';
import { scaleBench } from './scale.bench';
import { slurmBench } from './slurm.bench';
import { stdoutBench } from './stdout.bench';
import { syncBench } from './sync.bench';
import { vscodeBench } from './vscode.bench';
import { clientThroughput, pythonClientThroughput, seriesRead, storeScale } from './store.bench';

const groups: Record<string, () => Promise<void>> = {
  client: clientThroughput,
  pyclient: pythonClientThroughput,
  pysearch: pySearchBench,
  store: storeScale,
  scale: scaleBench,
  series: seriesRead,
  seriesout: seriesOutputBench,
  importers: benchImporters,
  lens: lensBench,
  charts: chartsBench,
  coldopen: coldOpenBench,
  eval: evalBenchmarks,
  serving: servingBench,
  slurm: slurmBench,
  stdout: stdoutBench,
  sync: syncBench,
  // Only when asked for: MLflow's Python client next to Runlens (`npm run bench -- peers`), and the
  // explorer on 100,000 runs in a real VS Code (`npm run bench -- vscode`).
  peers: peersBench,
  vscode: vscodeBench,
};

async function main() {
  // `scale100k` is the scale group with its 100,000-run store (a few minutes to make).
  const args = process.argv.slice(2).map((a) => (a === 'scale100k' ? 'scale' : a));
  const wanted = args.filter((a) => a in groups);
  for (const [name, fn] of Object.entries(groups)) {
    if (wanted.length ? !wanted.includes(name) : name === 'peers' || name === 'vscode') continue;
    console.log(`\n== ${name}`);
    await fn();
  }
  const missed = figures.filter((f) => !f.pass);
  console.log(`\n${figures.length - missed.length} of ${figures.length} figures meet their targets`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
