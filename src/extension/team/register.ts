import type * as vscode from 'vscode';
import { Commands } from '../ids';
import type { ExplorerNode } from '../runs/experimentsTree';
import { registerCommands } from '../shared/registerCommand';
import type { TeamView } from './teamView';

/** Refresh the Team view, Set MLflow Credentials, Push Runs to MLflow. */
export function registerTeamCommands(team: TeamView): vscode.Disposable[] {
  return registerCommands({
    [Commands.refreshTeam]: () => team.refresh(),
    [Commands.setMlflowCredentials]: () => team.setCredentials(),
    [Commands.pushToMlflow]: (node?: ExplorerNode, nodes?: ExplorerNode[]) => team.push(node, nodes),
  });
}
