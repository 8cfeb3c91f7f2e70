// Bundles the extension, the CLI, the Node client and the webviews with esbuild.
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
// --types: also the client's type declarations (dist/types), for `npm pack` (prepack)
const types = process.argv.includes('--types');

// TensorFlow.js stays outside the bundles: tfjs-node is a native optional dependency and the WASM
// backend loads its .wasm files from its package folder.
const external = [
  'vscode',
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-core',
];

const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

const node = {
  // the version a bundle reports (runlensVersion() in src/core/version.ts), also when copied alone
  define: { 'process.env.RUNLENS_BUILD_VERSION': JSON.stringify(version) },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  external,
  logLevel: 'warning',
  absWorkingDir: root,
};

const builds = [
  { ...node, entryPoints: ['src/cli/cli.ts'], outfile: 'dist/cli.js' },
  { ...node, entryPoints: ['clients/node/runlens.ts'], outfile: 'dist/client.js' },
  // the prediction server copied into every serving package (`runlens package`)
  { ...node, entryPoints: ['src/core/serving/server.ts'], outfile: 'dist/serving-server.js' },
];
if (fs.existsSync(path.join(root, 'src/extension/extension.ts'))) {
  builds.push({ ...node, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js' });
}
const webviewDir = path.join(root, 'webview-ui');
for (const name of fs.existsSync(webviewDir) ? fs.readdirSync(webviewDir) : []) {
  const entry = path.join('webview-ui', name, 'main.ts');
  if (!fs.existsSync(path.join(root, entry))) continue;
  builds.push({
    bundle: true,
    platform: 'browser',
    target: 'chrome120',
    format: 'iife',
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
    absWorkingDir: root,
    entryPoints: [entry],
    outfile: `dist/webview/${name}.js`,
  });
}

async function main() {
  if (watch) {
    for (const b of builds) await (await esbuild.context(b)).watch();
    console.log('watching for changes…');
    return;
  }
  await Promise.all(builds.map((b) => esbuild.build(b)));
  // NODE_PATH for launched training scripts: `require('runlens')` resolves to the bundled client.
  const shim = path.join(root, 'dist', 'modules', 'runlens');
  fs.mkdirSync(shim, { recursive: true });
  fs.writeFileSync(path.join(shim, 'index.js'), "module.exports = require('../../client.js');\n");
  // The MLflow importer reads mlflow.db with sql.js, which loads its WebAssembly next to the bundle.
  fs.copyFileSync(require.resolve('sql.js/dist/sql-wasm.wasm'), path.join(root, 'dist', 'sql-wasm.wasm'));
  if (types) {
    const { spawnSync } = require('node:child_process');
    const tsc = require.resolve('typescript/bin/tsc');
    const out = path.join(root, 'dist', 'types');
    fs.rmSync(out, { recursive: true, force: true });
    const r = spawnSync(
      process.execPath,
      // only the client and what it imports: the declarations that `import 'runlens'` needs
      [
        tsc,
        'clients/node/runlens.ts',
        ...['--declaration', '--emitDeclarationOnly', '--outDir', out, '--rootDir', '.'],
        ...['--target', 'ES2022', '--module', 'commonjs', '--moduleResolution', 'node'],
        ...['--esModuleInterop', '--skipLibCheck', '--strict', '--types', 'node'],
      ],
      { cwd: root, stdio: 'inherit' },
    );
    if (r.status !== 0) throw new Error('tsc could not write the type declarations');
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
