import { formatNumber, formatTime } from '../../core/format';
import type { ModelVersion } from '../../core/store/registry';

/** Control characters, line breaks included. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;

/**
 * Text shown literally inside a vscode.MarkdownString, also one with supportHtml: control
 * characters become spaces, and every ASCII punctuation character is backslash-escaped (CommonMark
 * allows it for all of them), so that no run name, experiment name or metric key can open an HTML
 * tag, a link, an image, an emphasis, a heading or an entity.
 */
export function escapeMarkdown(text: string): string {
  return String(text)
    .replace(CONTROL, ' ')
    .replace(/[!-/:-@[-`{-~]/g, '\\$&');
}

/** Text inside a code span: backticks cannot close it (ids are plain, but an imported one may not be). */
function code(text: string): string {
  return '`' + String(text).replace(CONTROL, ' ').replace(/`/g, "'") + '`';
}

/** The CodeLens hover of a metric: a sparkline and the last value for each of the script's last runs. */
export function lensHoverMarkdown(key: string, runs: { name: string; last: number; svg: string }[]): string {
  const k = escapeMarkdown(key);
  let md = `**${k}** in the last runs of this script\n\n`;
  for (const r of runs) {
    const img = `data:image/svg+xml;base64,${Buffer.from(r.svg).toString('base64')}`;
    md += `![${k}](${img}) ${escapeMarkdown(r.name)}: ${formatNumber(r.last)}\n\n`;
  }
  return md;
}

/** The Models view tooltip of a registered version. */
export function modelVersionMarkdown(name: string, v: ModelVersion): string {
  const parts = [
    `**${escapeMarkdown(name)} v${v.version}** — stage *${escapeMarkdown(v.stage)}*`,
    `from run ${code(v.sourceRun)} (${escapeMarkdown(v.experiment)}) · registered ${formatTime(v.createdAt)}`,
  ];
  const metrics = Object.entries(v.metrics);
  if (metrics.length)
    parts.push(metrics.map(([k, x]) => `${escapeMarkdown(k)} ${formatNumber(x)}`).join(', '));
  if (v.gitCommit) parts.push(`git ${escapeMarkdown(v.gitCommit.slice(0, 12))}`);
  parts.push(
    `stages: ${v.stageHistory.map((h) => `${escapeMarkdown(h.stage)} (${formatTime(h.at)})`).join(' → ')}`,
  );
  return parts.join('\n\n');
}
