// One parser for typed parameter values (src/core/tracking/params.ts): `runlens run -p`,
// `runlens sweep -p` and the editor's launch boxes all go through it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RunlensError } from '../../../src/core/errors';
import {
  formatParamInput,
  grid,
  parseParam,
  parseParamValue,
  parseSweep,
  parseTag,
  parseValueList,
} from '../../../src/core/tracking/params';

test('decimal numbers, true/false/null are typed; spaces around them are dropped', () => {
  assert.equal(parseParamValue('0.01'), 0.01);
  assert.equal(parseParamValue(' 32 '), 32);
  assert.equal(parseParamValue('1e-3'), 0.001);
  assert.equal(parseParamValue('-2.5E+2'), -250);
  assert.equal(parseParamValue('.5'), 0.5);
  assert.equal(parseParamValue('+7'), 7);
  assert.equal(parseParamValue('true'), true);
  assert.equal(parseParamValue('false'), false);
  assert.equal(parseParamValue(' null'), null);
});

test('Infinity, NaN, hex and other non-decimal forms stay text, as typed', () => {
  assert.equal(parseParamValue('Infinity'), 'Infinity');
  assert.equal(parseParamValue('-Infinity'), '-Infinity');
  assert.equal(parseParamValue('NaN'), 'NaN');
  assert.equal(parseParamValue('0x10'), '0x10');
  assert.equal(parseParamValue('0b11'), '0b11');
  assert.equal(parseParamValue('1_000'), '1_000');
  assert.equal(parseParamValue('1e'), '1e');
  assert.equal(parseParamValue('True'), 'True');
  assert.equal(parseParamValue('adam'), 'adam');
  assert.equal(parseParamValue(' adam '), ' adam ');
  assert.equal(parseParamValue(''), '');
  assert.equal(parseParamValue('  '), '  ');
});

test('quotes make text: the value inside them, never a number or keyword', () => {
  assert.equal(parseParamValue('"1e-3"'), '1e-3');
  assert.equal(parseParamValue("'true'"), 'true');
  assert.equal(parseParamValue(' "a b" '), 'a b');
  assert.equal(parseParamValue('""'), '');
  assert.equal(parseParamValue('"unbalanced'), '"unbalanced');
  assert.equal(parseParamValue('"mixed\''), '"mixed\'');
});

test('key=value: the key trimmed, the value by the same rule; no key is a usage error', () => {
  assert.deepEqual(parseParam('lr=0.01'), ['lr', 0.01]);
  assert.deepEqual(parseParam(' opt =adam'), ['opt', 'adam']);
  assert.deepEqual(parseParam('expr=a=b'), ['expr', 'a=b']);
  assert.deepEqual(parseParam('seed=0x10'), ['seed', '0x10']);
  assert.deepEqual(parseParam('limit=Infinity'), ['limit', 'Infinity']);
  assert.deepEqual(parseParam('empty='), ['empty', '']);
  assert.throws(
    () => parseParam('lr'),
    (e: unknown) => e instanceof RunlensError && /key=value/.test(e.message),
  );
  assert.throws(() => parseParam('=3'), RunlensError);
});

test('lists: comma-separated values, a comma inside quotes belongs to the value', () => {
  assert.deepEqual(parseValueList('0.1, 0.01'), [0.1, 0.01]);
  assert.deepEqual(parseValueList('adam,sgd'), ['adam', 'sgd']);
  assert.deepEqual(parseValueList('true,false,null'), [true, false, null]);
  assert.deepEqual(parseValueList('"a,b",c'), ['a,b', 'c']);
  assert.deepEqual(parseValueList('3'), [3]);
  assert.deepEqual(parseValueList('1,,2'), [1, '', 2]);
});

test('a sweep: values per key from -p options, then every combination in the order typed', () => {
  const values = parseSweep(['lr=0.1, 0.01', 'opt=adam,sgd', 'epochs=3']);
  assert.deepEqual(values, { lr: [0.1, 0.01], opt: ['adam', 'sgd'], epochs: [3] });
  assert.deepEqual(grid(values), [
    { lr: 0.1, opt: 'adam', epochs: 3 },
    { lr: 0.1, opt: 'sgd', epochs: 3 },
    { lr: 0.01, opt: 'adam', epochs: 3 },
    { lr: 0.01, opt: 'sgd', epochs: 3 },
  ]);
  assert.deepEqual(grid({}), [{}]);
  assert.deepEqual(grid({ a: [] }), []);
  assert.throws(() => parseSweep(['lr']), RunlensError);
});

test('tags are text as typed: no number or keyword parsing, quotes kept', () => {
  assert.deepEqual(parseTag('v=1.0'), ['v', '1.0']);
  assert.deepEqual(parseTag('seed=007'), ['seed', '007']);
  assert.deepEqual(parseTag('note="a, b"'), ['note', '"a, b"']);
  assert.throws(
    () => parseTag('novalue'),
    (e: unknown) => e instanceof RunlensError && /-t novalue: a tag needs/.test(e.message),
  );
});

test("a launch box's default text parses back to the same value (the editor fills the boxes with it)", () => {
  const values = [
    0.01,
    32,
    -250,
    true,
    false,
    null,
    'adam',
    '1e-3',
    'true',
    'a,b',
    '"x"',
    "it's",
    '0x10',
    'Infinity',
    '',
  ];
  for (const v of values) {
    const typed = parseValueList(formatParamInput(v));
    assert.deepEqual(typed, [v], `${JSON.stringify(v)} -> ${formatParamInput(v)}`);
  }
  assert.equal(formatParamInput('adam'), 'adam');
  assert.equal(formatParamInput('1e-3'), '"1e-3"');
});
