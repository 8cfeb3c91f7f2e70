// An MLflow file store of the Hydra + Lightning sweep that test/fixtures/webview/hydraSweep.ts
// describes (8 runs x 101 flattened config params, made for the tests, not recorded), written the way
// MLflow's FileStore writes one: params as text files without a trailing newline (keys with "/" as
// nested folders), metrics as `timestamp value step` lines, meta.yaml per experiment and run. The
// public MLflow stores among the fixtures log 2 params per run; this one gives the walkthrough the
// ~100 params per run of a real Hydra project to import through the editor.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUNS, config, finalAccuracy, mlflowParamText } from '../../test/fixtures/webview/hydraSweep';

const EXPERIMENT_ID = '416829730157302911';
const EPOCHS = 10;
const START = Date.UTC(2024, 2, 14, 10, 22, 5);

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/** Writes `<dir>/mlruns` and returns its path. */
export function writeHydraMlruns(dir: string): string {
  const root = path.join(dir, 'mlruns');
  const expDir = path.join(root, EXPERIMENT_ID);
  write(
    path.join(root, '0', 'meta.yaml'),
    `artifact_location: file://${root}/0\ncreation_time: ${START}\nexperiment_id: '0'\nlast_update_time: ${START}\nlifecycle_stage: active\nname: Default\n`,
  );
  write(
    path.join(expDir, 'meta.yaml'),
    `artifact_location: file://${expDir}\ncreation_time: ${START}\nexperiment_id: '${EXPERIMENT_ID}'\nlast_update_time: ${START}\nlifecycle_stage: active\nname: mnist\n`,
  );
  for (let i = 0; i < RUNS; i++) {
    const id = `${(0x5e1f00 + i * 7919).toString(16)}${'0'.repeat(20)}${String(i).padStart(6, '0')}`;
    const runDir = path.join(expDir, id);
    const start = START + i * 310_000;
    const end = start + 300_000 + i * 7_000;
    const params = config(i);
    const name = `train_${String(i).padStart(2, '0')}_lr${String(params['model/optimizer/lr'])}`;
    write(
      path.join(runDir, 'meta.yaml'),
      [
        `artifact_uri: file://${runDir}/artifacts`,
        `end_time: ${end}`,
        `entry_point_name: ''`,
        `experiment_id: '${EXPERIMENT_ID}'`,
        `lifecycle_stage: active`,
        `run_id: ${id}`,
        `run_name: ${name}`,
        `run_uuid: ${id}`,
        `source_name: ''`,
        `source_type: 4`,
        `source_version: ''`,
        `start_time: ${start}`,
        `status: 3`,
        `tags: []`,
        `user_id: researcher`,
        '',
      ].join('\n'),
    );
    for (const [k, v] of Object.entries(params))
      write(
        path.join(runDir, 'params', ...k.split('/')),
        mlflowParamText(k, v as string | number | boolean | null),
      );
    write(path.join(runDir, 'tags', 'mlflow.runName'), name);
    write(path.join(runDir, 'tags', 'mlflow.user'), 'researcher');
    // Curves that rise (accuracy) or fall (loss) to the run's final value over the epochs.
    const acc = finalAccuracy(i);
    const series: Record<string, (e: number) => number> = {
      'train/acc': (e) => acc + 0.01 - (acc + 0.01 - 0.62) * 0.5 ** e,
      'train/loss': (e) => (1.03 - acc) * 0.8 + (2.1 - (1.03 - acc) * 0.8) * 0.5 ** e,
      'val/acc': (e) => acc - (acc - 0.6) * 0.55 ** e,
      'val/loss': (e) => 1.03 - acc + (1.9 - (1.03 - acc)) * 0.55 ** e,
      'val/acc_best': (e) => acc - (acc - 0.6) * 0.55 ** e,
    };
    for (const [k, f] of Object.entries(series)) {
      const lines = Array.from({ length: EPOCHS }, (_, e) => `${start + (e + 1) * 29_000} ${f(e)} ${e}`).join(
        '\n',
      );
      write(path.join(runDir, 'metrics', ...k.split('/')), lines + '\n');
    }
    write(path.join(runDir, 'metrics', 'test', 'acc'), `${end - 1000} ${acc - 0.002} ${EPOCHS - 1}\n`);
    write(path.join(runDir, 'metrics', 'test', 'loss'), `${end - 1000} ${1.032 - acc} ${EPOCHS - 1}\n`);
  }
  return root;
}
