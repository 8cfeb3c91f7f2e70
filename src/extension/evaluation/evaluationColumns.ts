import * as vscode from 'vscode';
import { openTable } from '../../core/data/table';

/** The columns of an evaluated file: label (or the model's target), prediction and score. */
export interface ChosenColumns {
  labelColumn?: string;
  predictionColumn?: string;
  scoreColumn?: string;
}

export function isMissingTarget(e: unknown): boolean {
  return e instanceof Error && /: no column ".*" \(the true (label|value)\)/.test(e.message);
}

async function headerOf(file: string): Promise<string[]> {
  const t = await openTable(file);
  const it = t.rows[Symbol.asyncIterator]();
  await it.return?.();
  return t.header;
}

/**
 * Which column of a file holds the label (prediction, score): the usual names when the file has
 * them, else a pick among the file's columns, remembered per file for the next evaluation.
 */
export class EvaluationColumns {
  constructor(private readonly memento: vscode.Memento) {}

  private key(file: string): string {
    return `runlens.evaluationColumns:${file}`;
  }

  async choose(
    file: string,
    kind: 'predictions' | 'data',
    askTarget = false,
  ): Promise<ChosenColumns | undefined> {
    const remembered = this.memento.get<ChosenColumns>(this.key(file));
    const header = await headerOf(file);
    const usable = (c: ChosenColumns | undefined) =>
      c !== undefined &&
      [c.labelColumn, c.predictionColumn, c.scoreColumn].every((x) => !x || header.includes(x));
    if (!askTarget && usable(remembered)) return remembered;
    const chosen: ChosenColumns = {};
    if (kind === 'data' && !askTarget) return {};
    if (kind === 'data' || !header.includes('label')) {
      const label = await pickColumn(
        header,
        `Which column of ${baseName(file)} holds the true label?`,
        false,
      );
      if (label === undefined) return undefined;
      chosen.labelColumn = label ?? undefined;
    }
    if (kind !== 'data') {
      const rest = header.filter((c) => c !== (chosen.labelColumn ?? 'label'));
      const hasPrediction = header.includes('prediction');
      const hasScore = header.includes('score') || header.some((c) => /^score_./.test(c));
      if (!hasPrediction && !hasScore) {
        const p = await pickColumn(rest, 'Which column holds the predicted label?', true);
        if (p === undefined) return undefined;
        if (p) chosen.predictionColumn = p;
        const sc = await pickColumn(
          rest.filter((c) => c !== p),
          'Which column holds the score (probability of the positive class)?',
          true,
        );
        if (sc === undefined) return undefined;
        if (sc) chosen.scoreColumn = sc;
      }
    }
    await this.memento.update(this.key(file), chosen);
    return chosen;
  }
}

function baseName(file: string): string {
  return vscode.workspace.asRelativePath(file, false);
}

/** A column of the header; null when the user chose "none" (only offered when optional). */
async function pickColumn(
  header: string[],
  title: string,
  optional: boolean,
): Promise<string | null | undefined> {
  const items: (vscode.QuickPickItem & { column: string | null })[] = header.map((c) => ({
    label: c,
    column: c,
  }));
  if (optional) items.push({ label: '(none)', description: 'the file has no such column', column: null });
  const picked = await vscode.window.showQuickPick(items, { title, ignoreFocusOut: true });
  return picked === undefined ? undefined : picked.column;
}
