import type * as vscode from 'vscode';
import { Commands } from '../ids';
import { registerCommands } from '../shared/registerCommand';
import type { DriftCommands } from './driftCommands';

/** Check Data Drift..., Check Drift Against... (Explorer, on a data file), Check Serving Drift. */
export function registerDriftCommands(drift: DriftCommands): vscode.Disposable[] {
  return registerCommands({
    [Commands.checkDataDrift]: (reference?: vscode.Uri, current?: vscode.Uri, by?: string) =>
      drift.checkData(reference, current, by),
    // From the Explorer on a data file: that file is the current data; the reference is picked.
    [Commands.checkDriftAgainst]: (current?: vscode.Uri) => drift.checkData(undefined, current),
    [Commands.checkServingDrift]: (dir?: vscode.Uri, feedback?: vscode.Uri, window?: 'hour' | 'day') =>
      drift.checkServing(dir, feedback, window),
  });
}
