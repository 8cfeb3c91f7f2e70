// Compiles the integration tests, test/integration/**/*.ts, to out/test/integration/**/*.js
// (CommonJS for Node), one output file per source file: the test runner (runTest.js), the suite
// entry VS Code loads (suite/index.js) and every *.test.js are separate modules, as
// @vscode/test-electron and the suite's file scan expect.
//  - `vscode` is provided by the extension host and mocha must be the one copy the suite runs with:
//    both stay `require()`s, as do the other runner packages (resolved from node_modules at run time).
//  - An import of another file under test/integration stays a `require('./other')` of its own
//    compiled file instead of being bundled into each importer (a shared helper module keeps one state).
//  - Anything else (src/, small npm packages) is bundled, like scripts/build.js does for the extension.
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');
const srcDir = path.join(root, 'test', 'integration');
const outDir = path.join(root, 'out', 'test', 'integration');

function tsFiles(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? tsFiles(path.join(dir, e.name))
        : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')
          ? [path.join(dir, e.name)]
          : [],
    );
}

const keepTestModulesApart = {
  name: 'keep-test-modules-apart',
  setup(build) {
    build.onResolve({ filter: /^\.\.?(\/|$)/ }, async (args) => {
      if (args.kind === 'entry-point' || args.pluginData?.inner) return undefined;
      const resolved = await build.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: { inner: true },
      });
      if (resolved.errors.length || !resolved.path.endsWith('.ts')) return undefined;
      const inTests = !path.relative(srcDir, resolved.path).startsWith('..');
      // the output tree mirrors the source tree, so the relative specifier stays valid
      return inTests ? { path: args.path, external: true } : undefined;
    });
  },
};

async function main() {
  const entryPoints = tsFiles(srcDir);
  // start clean: a deleted test must not live on as a stale *.test.js the suite would still load
  fs.rmSync(outDir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints,
    outbase: srcDir,
    outdir: outDir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    external: ['vscode', 'mocha', '@vscode/test-electron', 'playwright-core', '@tensorflow/*'],
    plugins: [keepTestModulesApart],
    logLevel: 'warning',
    absWorkingDir: root,
  });
  console.log(`build-tests: ${entryPoints.length} files -> ${path.relative(root, outDir)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
