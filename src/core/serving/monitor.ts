import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DriftReport } from '../drift/drift';
import { detectDrift } from '../drift/drift';
import { RunlensError } from '../errors';
import { readManifest } from './serve';

export type MonitorWindow = 'hour' | 'day';

export interface MonitorResult {
  report: DriftReport;
  /** Logged predictions read, from these files (rotated ones included). */
  requests: number;
  files: string[];
  skippedLines: number;
}

/** predictions.jsonl and its rotations (.1 is the newest rotated), oldest first. */
export function predictionLogFiles(logDir: string): string[] {
  const base = path.join(logDir, 'predictions.jsonl');
  const rotated = fs
    .readdirSync(logDir)
    .map((n) => /^predictions\.jsonl\.(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(b[1]) - Number(a[1]))
    .map((m) => path.join(logDir, m[0]));
  return [...rotated, ...(fs.existsSync(base) ? [base] : [])];
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Drift of the logged request rows against the training data kept in the package (reference.csv),
 * over all requests and per time window (the drift engine's timeline).
 */
export async function monitorPackage(
  dir: string,
  o: { logDir?: string; window?: MonitorWindow } = {},
): Promise<MonitorResult> {
  const m = readManifest(dir);
  if (!m.reference) {
    throw new RunlensError(
      `${dir} has no reference data (reference.csv)`,
      'package a run that records its data file as an input',
      'notFound',
    );
  }
  const logDir = path.resolve(dir, o.logDir ?? 'logs');
  const files = fs.existsSync(logDir) ? predictionLogFiles(logDir) : [];
  const features = m.inputSchema.map((f) => f.name);
  const cut = o.window === 'day' ? 10 : 13;
  const lines = [[...features, 'window'].join(',')];
  let skippedLines = 0;
  for (const f of files) {
    for (const line of fs.readFileSync(f, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      let rec: { time?: number; inputs?: Record<string, unknown>[] };
      try {
        rec = JSON.parse(line);
      } catch {
        skippedLines++;
        continue;
      }
      const window = new Date(rec.time ?? 0).toISOString().slice(0, cut);
      for (const row of rec.inputs ?? [])
        lines.push([...features.map((c) => csvCell(row[c])), window].join(','));
    }
  }
  if (lines.length === 1) {
    throw new RunlensError(
      `no logged predictions in ${logDir}`,
      'serve the package and send requests first (RUNLENS_LOG_SAMPLE > 0)',
      'notFound',
    );
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-monitor-'));
  try {
    const current = path.join(tmp, 'requests.csv');
    fs.writeFileSync(current, lines.join('\n') + '\n');
    const report = await detectDrift(path.join(dir, m.reference.file), current, {
      columns: features,
      by: 'window',
    });
    return { report, requests: lines.length - 1, files, skippedLines };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
