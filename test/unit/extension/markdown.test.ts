// escapeMarkdown against marked, the Markdown renderer VS Code uses for hovers and tooltips.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { marked } from 'marked';
import type { ModelVersion } from '../../../src/core/store/registry';
import {
  escapeMarkdown,
  lensHoverMarkdown,
  modelVersionMarkdown,
} from '../../../src/extension/shared/markdown';

const html = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/** What a literal text renders to: the text itself, HTML-escaped, control characters as spaces. */
function literal(s: string): string {
  // eslint-disable-next-line no-control-regex
  return html(s.replace(/[\u0000-\u001f\u007f]/g, ' '));
}

test('hostile names render as their own text: no tag, link, image, emphasis or entity', () => {
  for (const name of [
    '<img src=x onerror=alert(1)>',
    '<a href="command:runlens.runPipeline">click</a>',
    '[click](command:workbench.action.terminal.new)',
    '![x](https://example.com/track.png)',
    '**bold** _it_ `code` ~~del~~',
    '&lt;script&gt; &#60;',
    'loss\n\n# Heading\n---',
    '$(alert) \\ \\\\',
    'https://example.com/auto-link',
  ]) {
    assert.equal(marked.parseInline(`x ${escapeMarkdown(name)} y`), `x ${literal(name)} y`, name);
  }
});

test('any string renders as itself (fast-check)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
      assert.equal(marked.parseInline(`x ${escapeMarkdown(s)} y`), `x ${literal(s)} y`);
    }),
    { numRuns: 3000 },
  );
});

const HOSTILE = '<img src=x onerror=alert(1)> [go](command:runlens.runPipeline) **b** &amp;\n\n# h';

/** The tags of rendered HTML, and its text with tags removed. */
function tags(htmlText: string): string[] {
  return [...htmlText.matchAll(/<([a-z0-9]+)/gi)].map((m) => m[1]);
}

test('lens hover: hostile run names and metric keys stay text; only the sparklines are images', () => {
  const out = marked.parse(
    lensHoverMarkdown(HOSTILE, [
      { name: HOSTILE, last: 0.5, svg: '<svg xmlns="http://www.w3.org/2000/svg"></svg>' },
      { name: 'run-2', last: 0.25, svg: '<svg xmlns="http://www.w3.org/2000/svg"></svg>' },
    ]),
  ) as string;
  assert.deepEqual([...new Set(tags(out))].sort(), ['img', 'p', 'strong']);
  const imgs = [...out.matchAll(/<img src="([^"]*)"/g)].map((m) => m[1]);
  assert.equal(imgs.length, 2);
  for (const src of imgs) assert.match(src, /^data:image\/svg\+xml;base64,/);
  assert.ok(out.includes(literal(HOSTILE)), out);
  assert.doesNotMatch(out, /href=/);
});

test('Models tooltip: hostile model, experiment and metric names stay text', () => {
  const v: ModelVersion = {
    version: 3,
    createdAt: Date.UTC(2026, 0, 2),
    sourceRun: '01abc`<b>x</b>',
    experiment: HOSTILE,
    files: [],
    metrics: { [HOSTILE]: 0.9, acc: 0.8 },
    params: {},
    dataHashes: [],
    gitCommit: '<i>0123456789abcdef',
    stage: 'production',
    stageHistory: [{ stage: 'production', at: Date.UTC(2026, 0, 3) } as ModelVersion['stageHistory'][number]],
    description: null,
  };
  const out = marked.parse(modelVersionMarkdown(HOSTILE, v)) as string;
  assert.deepEqual([...new Set(tags(out))].sort(), ['code', 'em', 'p', 'strong']);
  assert.equal(out.split(literal(HOSTILE)).length - 1, 3, 'name, experiment and metric key shown as text');
});
