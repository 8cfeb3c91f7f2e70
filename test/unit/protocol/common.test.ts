// The known-type guard both ends of every webview use before a message reaches its switch.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isKnownType, messageType } from '../../../src/protocol/common';
import type { KnownTypes } from '../../../src/protocol/common';
import type { GateToWebview } from '../../../src/protocol/gate';
import type { MetricsFromWebview } from '../../../src/protocol/metrics';

const gate: KnownTypes<GateToWebview> = { snapshot: true, notice: true };
const metrics: KnownTypes<MetricsFromWebview> = {
  ready: true,
  selectRuns: true,
  zoom: true,
  exportPng: true,
  exportCsv: true,
  resize: true,
  rendered: true,
  painted: true,
};

test('a message of a listed type passes the guard', () => {
  assert.equal(isKnownType(messageType({ type: 'snapshot', snapshot: {} }), gate), true);
  assert.equal(isKnownType(messageType({ type: 'notice', text: 'x' }), gate), true);
  assert.equal(isKnownType(messageType({ type: 'zoom' }), metrics), true);
});

test('unlisted types, names an object inherits and non-messages are turned away', () => {
  for (const m of [
    { type: 'zoom' },
    { type: 'toString' },
    { type: 'constructor' },
    { type: '__proto__' },
    { type: 'hasOwnProperty' },
    { type: 3 },
    { kind: 'snapshot' },
    'snapshot',
    null,
    undefined,
    [],
  ])
    assert.equal(isKnownType(messageType(m), gate), false, JSON.stringify(m) ?? String(m));
});
