// CodeLens recognition: a 2,000-line training script (real scripts from test/fixtures/scripts, repeated)
// against the floor of splitting the same text into lines and testing each with one regular expression.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { recognizeMetricLines } from '../../src/core/lens/recognize';
import { best, record } from './common';

export async function lensBench(): Promise<void> {
  const dir = path.join(__dirname, '..', 'fixtures', 'scripts');
  const py = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.py'))
    .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
    .join('\n');
  let source = '';
  while (source.split('\n').length < 2000) source += py + '\n';
  source = source.split('\n').slice(0, 2000).join('\n');
  const found = recognizeMetricLines(source, 'python').length;
  const floor = best(50, () => {
    let n = 0;
    for (const line of source.split('\n')) if (/log|scalar|print/.test(line)) n++;
    return n;
  });
  const ms = best(50, () => recognizeMetricLines(source, 'python'));
  record({
    name: `recognise metric lines in a 2,000-line Python script (${found} lines found)`,
    value: ms,
    unit: 'ms',
    baselineName: 'split + one regex per line',
    baseline: floor,
    target: '< 10 ms',
    pass: ms < 10,
  });
}
