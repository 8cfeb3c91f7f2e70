// Folder-level dependency check: the folders of src/ and webview-ui/ must form no cycle.
// Imports are read with TypeScript's own parser (already a dev dependency; it sees `import type`,
// re-exports and dynamic `import()` the same way tsc does), so nothing is matched by regex.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const root = path.resolve(__dirname, '..', '..', '..');

/** Every .ts file under a folder of the repository, as repository-relative paths with '/'. */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string): void => {
    for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
      const child = path.join(abs, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(child);
    }
  };
  if (fs.existsSync(path.join(root, dir))) walk(path.join(root, dir));
  return out.map((f) => path.relative(root, f).split(path.sep).join('/'));
}

/** The module specifiers a file imports: static imports, re-exports, `import()` and `require()`. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const specs: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      specs.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node)) {
      const [arg] = node.arguments;
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if ((isImport || isRequire) && arg && ts.isStringLiteral(arg)) specs.push(arg.text);
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg) && ts.isStringLiteral(arg.literal)) specs.push(arg.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specs;
}

/**
 * The node a file belongs to in the graph: src/core/<feature>, src/extension/<feature> and
 * webview-ui/<view> are folders; src/protocol and src/cli are one node each. A file directly in
 * src/core, src/extension or webview-ui (errors.ts, format.ts, extension.ts) is a module of its own
 * and its own node.
 */
function folderOf(file: string): string | undefined {
  const parts = file.split('/');
  if (parts[0] === 'webview-ui') return parts.length > 2 ? `webview-ui/${parts[1]}` : file;
  if (parts[0] !== 'src') return undefined;
  if (parts[1] === 'core' || parts[1] === 'extension') {
    return parts.length > 3 ? `src/${parts[1]}/${parts[2]}` : file;
  }
  return `src/${parts[1]}`;
}

/** Resolves a relative specifier to a repository file, or undefined for packages and node builtins. */
function resolveSpecifier(from: string, spec: string, known: Set<string>): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.posix.join(path.posix.dirname(from), spec);
  const candidates = [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`, base.replace(/\.js$/, '.ts')];
  return candidates.find((c) => known.has(c));
}

/** Folder graph: folder -> folders it imports, each edge with one file-level example. */
function folderGraph(): Map<string, Map<string, string>> {
  const files = [...sourceFiles('src'), ...sourceFiles('webview-ui')];
  const known = new Set(files);
  const graph = new Map<string, Map<string, string>>();
  for (const file of files) {
    const from = folderOf(file);
    if (!from) continue;
    if (!graph.has(from)) graph.set(from, new Map());
    for (const spec of importsOf(file)) {
      const target = resolveSpecifier(file, spec, known);
      const to = target && folderOf(target);
      if (!to || to === from) continue;
      const edges = graph.get(from)!;
      if (!edges.has(to)) edges.set(to, `${file} -> ${target}`);
      if (!graph.has(to)) graph.set(to, new Map());
    }
  }
  return graph;
}

/** Strongly connected groups of more than one folder (Tarjan's algorithm). */
function cycles(graph: Map<string, Map<string, string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)!.keys()) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) groups.push(group.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  return groups;
}

/** The edges inside a group, one example import each, so a failure says which import closes it. */
function describe(group: string[], graph: Map<string, Map<string, string>>): string {
  const members = new Set(group);
  const lines = [`cycle between ${group.join(', ')}:`];
  for (const from of group) {
    for (const [to, example] of graph.get(from)!) {
      if (members.has(to)) lines.push(`  ${from} -> ${to}  (e.g. ${example})`);
    }
  }
  return lines.join('\n');
}

test('the folders of src/ and webview-ui/ import each other without a cycle', () => {
  const graph = folderGraph();
  assert.ok(graph.has('src/core/store') && graph.has('src/protocol'), 'the graph sees the source tree');
  // and resolves imports: edges every build has (a static import, an `import type`, a webview's)
  for (const [from, to] of [
    ['src/extension/runs', 'src/core/store'],
    ['src/cli', 'src/core/store'],
    ['webview-ui/metrics', 'src/protocol'],
  ])
    assert.ok(graph.get(from)?.has(to), `the graph has the edge ${from} -> ${to}`);
  const found = cycles(graph);
  assert.deepEqual(found, [], `\n${found.map((g) => describe(g, graph)).join('\n\n')}`);
});

test('the cycle check finds a cycle and names the imports that close it', () => {
  const graph = new Map<string, Map<string, string>>([
    ['a', new Map([['b', 'a/x.ts -> b/y.ts']])],
    ['b', new Map([['c', 'b/y.ts -> c/z.ts']])],
    ['c', new Map([['a', 'c/z.ts -> a/x.ts']])],
    ['d', new Map([['a', 'd/w.ts -> a/x.ts']])],
  ]);
  const found = cycles(graph);
  assert.deepEqual(found, [['a', 'b', 'c']]);
  assert.match(describe(found[0], graph), /c -> a {2}\(e\.g\. c\/z\.ts -> a\/x\.ts\)/);
});
