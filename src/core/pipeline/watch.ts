import { CronExpressionParser } from 'cron-parser';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunlensError, errorMessage } from '../errors';
import type { LogPosition } from '../drift/monitor';
import { monitorPackage } from '../drift/monitor';
import { appendLines, mkdirp } from '../store/fsutil';
import type { Store } from '../store/store';
import { producerOf } from './graph';
import { loadPipeline } from './parse';
import { pipelineDir, runPipeline } from './run';
import type { PipelineDef, PipelineRunResult, SourcePos, StageEvent } from './types';

export interface TriggerRecord {
  time: number;
  reason: string;
  /** The pipeline run it started; absent when it coalesced into a run already queued. */
  pipelineRun?: string;
  coalesced?: boolean;
  ok?: boolean;
}

export interface WatchOptions {
  /** Files or folders to watch (default: every stage dep that no stage writes, e.g. the data). */
  paths?: string[];
  /** A cron expression ("0 3 * * *"): also run on this schedule. */
  cron?: string;
  debounceMs?: number;
  /** Checks served requests for drift; a dataset drift triggers a run (default: from `watch: drift:`). */
  driftCheck?: () => Promise<DriftCheckResult>;
  /** Between drift checks (default: `watch: drift: interval:` seconds). */
  driftIntervalMs?: number;
  /** Runs the pipeline for a trigger (default: runPipeline); an editor passes its own runner. */
  run?: (trigger: string) => Promise<PipelineRunResult>;
  log?: (line: string) => void;
  onEvent?: (e: StageEvent) => void;
  onRunDone?: (r: PipelineRunResult, trigger: string) => void;
  /** Every drift check's answer (or why it failed), as `lastDriftCheck` gets it. */
  onDriftCheck?: (c: DriftCheckRecord) => void;
}

interface Watched {
  rel: string;
  abs: string;
  /** Where the path was named (a stage's deps in runlens.yaml), for the message when it disappears. */
  pos?: SourcePos;
}

export interface DriftCheckResult {
  drift: boolean;
  reason: string;
}

export interface DriftCheckRecord extends DriftCheckResult {
  time: number;
}

/**
 * A drift check over a model package's logged requests (monitorPackage). Requests already judged
 * are not judged again: without new requests the check reports no drift, so one drifted batch
 * retrains once, not at every interval (a package the gate keeps keeps its logs).
 */
export function packageDriftCheck(
  packageDir: string,
  o: { logDir?: string } = {},
): () => Promise<DriftCheckResult> {
  let seen = '';
  // After drift started a retrain, only requests logged past what that check read are judged: the
  // drifted ones that triggered it must not trigger again at every interval. A position in the logs,
  // not a time: a request logged after the check but stamped with its start before it is judged next.
  let judged: LogPosition | undefined;
  return async () => {
    const logDir = path.resolve(packageDir, o.logDir ?? 'logs');
    if (!fs.existsSync(path.join(packageDir, 'manifest.json')))
      return { drift: false, reason: `no model package in ${packageDir} yet` };
    if (!fs.existsSync(logDir)) return { drift: false, reason: `no request logs in ${logDir} yet` };
    const signature = fs
      .readdirSync(logDir)
      .filter((n) => n.startsWith('predictions.jsonl'))
      .sort()
      .map((n) => {
        const st = fs.statSync(path.join(logDir, n));
        return `${n}:${st.size}:${st.mtimeMs}`;
      })
      .join('|');
    if (!signature) return { drift: false, reason: `no request logs in ${logDir} yet` };
    if (signature === seen) return { drift: false, reason: 'no new requests since the last check' };
    let r: Awaited<ReturnType<typeof monitorPackage>>;
    try {
      r = await monitorPackage(packageDir, { logDir, after: judged });
    } catch (e) {
      if (judged === undefined || !(e instanceof RunlensError) || e.kind !== 'notFound') throw e;
      seen = signature;
      return { drift: false, reason: 'no new requests since the last retrain' };
    }
    seen = signature;
    const rep = r.report;
    const cols = rep.columns.filter((c) => c.drifted).map((c) => c.column);
    if (rep.tested === 0)
      return { drift: false, reason: `nothing compared: no column of the requests could be tested` };
    const summary = `${rep.drifted}/${rep.tested} columns drifted in ${r.requests} requests`;
    if (rep.datasetDrift) judged = r.position;
    return rep.datasetDrift
      ? {
          drift: true,
          reason: `dataset drift in ${path.basename(packageDir)}: ${summary} (${cols.slice(0, 3).join(', ')}${cols.length > 3 ? ', ...' : ''})`,
        }
      : { drift: false, reason: `no dataset drift: ${summary}` };
  };
}

function driftFromPipeline(
  def: PipelineDef,
): { check: () => Promise<DriftCheckResult>; ms: number } | undefined {
  const d = def.watch.drift;
  if (!d?.package) return undefined;
  return {
    check: packageDriftCheck(path.resolve(def.root, d.package), { logDir: d.logDir }),
    ms: d.intervalSec * 1000,
  };
}

export function triggersFile(store: Store): string {
  return path.join(pipelineDir(store), 'triggers.jsonl');
}

export function readTriggers(store: Store): TriggerRecord[] {
  const f = triggersFile(store);
  if (!fs.existsSync(f)) return [];
  return fs
    .readFileSync(f, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as TriggerRecord];
      } catch {
        return []; // a torn last line of a killed writer
      }
    });
}

/** The next time a cron expression fires after `from`; a bad expression is a RunlensError. */
export function nextCron(expr: string, from = new Date()): Date {
  try {
    return CronExpressionParser.parse(expr, { currentDate: from }).next().toDate();
  } catch (e) {
    throw new RunlensError(
      `invalid cron expression "${expr}": ${errorMessage(e)}`,
      'e.g. "0 3 * * *" (03:00 every day)',
      'usage',
    );
  }
}

/**
 * Continuous training: reruns the pipeline when a watched path changes (debounced), on a cron
 * schedule, or when the drift check reports dataset drift. One pipeline at a time: triggers that
 * arrive during a run coalesce into one more run after it.
 */
export class Watcher {
  private watchers: fs.FSWatcher[] = [];
  private timers: NodeJS.Timeout[] = [];
  private debounce?: NodeJS.Timeout;
  private running?: Promise<void>;
  private pending?: string;
  private stopped = false;
  readonly watched: Watched[];
  readonly cron?: string;
  /** The package whose served requests are checked for drift, when drift is a trigger. */
  readonly driftPackage?: string;
  private readonly driftCheck?: () => Promise<DriftCheckResult>;
  private readonly driftIntervalMs: number;
  lastTrigger?: TriggerRecord;
  /** The last drift check's answer (or why it failed). */
  lastDriftCheck?: DriftCheckRecord;

  constructor(
    private readonly store: Store,
    private readonly file: string,
    private readonly options: WatchOptions = {},
  ) {
    const def = loadPipeline(file);
    if (options.paths?.length) {
      this.watched = options.paths.map((p) => ({ rel: p, abs: path.resolve(def.root, p) }));
    } else if (def.watch.paths.length) {
      this.watched = def.watch.paths.map((w) => ({
        rel: w.path,
        abs: path.resolve(def.root, w.path),
        pos: w.pos,
      }));
    } else {
      const seen = new Map<string, Watched>();
      for (const s of def.stages)
        s.deps.forEach((d, i) => {
          if (!producerOf(def, d) && !seen.has(d))
            seen.set(d, { rel: d, abs: path.resolve(def.root, d), pos: s.fieldPos[`deps.${i}`] });
        });
      this.watched = [...seen.values()];
    }
    for (const w of this.watched) {
      if (!fs.existsSync(w.abs))
        throw new RunlensError(`${this.where(w)}watched path ${w.rel} does not exist`, undefined, 'notFound');
    }
    this.cron = options.cron ?? def.watch.cron;
    if (this.cron) nextCron(this.cron);
    const fromDef = driftFromPipeline(def);
    this.driftCheck = options.driftCheck ?? fromDef?.check;
    this.driftPackage = options.driftCheck ? undefined : def.watch.drift?.package;
    this.driftIntervalMs = options.driftIntervalMs ?? fromDef?.ms ?? 60_000;
  }

  private where(w: Watched): string {
    return w.pos ? `${w.pos.file}:${w.pos.line}:${w.pos.column}: ` : '';
  }

  private log(line: string): void {
    this.options.log?.(`runlens watch: ${line}`);
  }

  start(): void {
    for (const w of this.watched) this.watchPath(w);
    if (this.cron) this.scheduleCron(this.cron);
    if (this.driftCheck) {
      const t = setInterval(() => void this.checkDrift(), this.driftIntervalMs);
      this.timers.push(t);
    }
    const drift = this.driftCheck
      ? `; drift of served requests${this.driftPackage ? ` (${this.driftPackage})` : ''} every ${this.driftIntervalMs / 1000} s`
      : '';
    this.log(
      `watching ${this.watched.map((w) => w.rel).join(', ') || 'nothing'}${this.cron ? `; cron "${this.cron}"` : ''}${drift}`,
    );
  }

  private watchPath(w: Watched): void {
    const isDir = fs.statSync(w.abs).isDirectory();
    // A file is watched through its folder: editors and atomic writes replace the file (new inode).
    const target = isDir ? w.abs : path.dirname(w.abs);
    const name = path.basename(w.abs);
    const storeDir = this.store.dir;
    const watcher = fs.watch(target, { recursive: isDir }, (_event, changed) => {
      if (!isDir && changed !== null && changed !== name) return;
      if (isDir && changed && path.resolve(target, changed).startsWith(storeDir)) return;
      if (!fs.existsSync(w.abs)) {
        const msg = `${this.where(w)}watched path ${w.rel} disappeared; it is no longer a trigger until it is back`;
        this.log(msg);
        this.record({ time: Date.now(), reason: `watched path ${w.rel} disappeared` });
        return;
      }
      this.schedule(`${w.rel} changed`);
    });
    watcher.on('error', (e) => this.log(`${this.where(w)}cannot watch ${w.rel}: ${errorMessage(e)}`));
    this.watchers.push(watcher);
  }

  private schedule(reason: string): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.trigger(reason), this.options.debounceMs ?? 1000);
  }

  private scheduleCron(expr: string): void {
    if (this.stopped) return;
    const delay = Math.max(0, nextCron(expr).getTime() - Date.now());
    const t = setTimeout(
      () => {
        this.trigger(`cron "${expr}"`);
        this.scheduleCron(expr);
      },
      Math.min(delay, 2 ** 31 - 1),
    );
    this.timers.push(t);
  }

  private checking = false;

  /** One drift check now (the interval calls it); overlapping checks are skipped. */
  async checkDrift(): Promise<void> {
    if (this.checking || this.stopped) return;
    this.checking = true;
    try {
      const r = await this.driftCheck!();
      this.checked({ time: Date.now(), ...r });
      if (r.drift) this.trigger(`drift: ${r.reason}`);
    } catch (e) {
      this.checked({ time: Date.now(), drift: false, reason: `check failed: ${errorMessage(e)}` });
      this.log(`drift check failed: ${errorMessage(e)}`);
    } finally {
      this.checking = false;
    }
  }

  /** The last drift-check answer written to the log (a drift or a failure between does not reset it). */
  private lastLoggedAnswer?: string;

  private checked(c: DriftCheckRecord): void {
    // each new answer once in the log (a drift is logged as the trigger it starts, a failure as such)
    if (!c.drift && !c.reason.startsWith('check failed') && c.reason !== this.lastLoggedAnswer) {
      this.lastLoggedAnswer = c.reason;
      this.log(`drift check: ${c.reason}`);
    }
    this.lastDriftCheck = c;
    this.options.onDriftCheck?.(c);
  }

  private record(t: TriggerRecord): void {
    mkdirp(pipelineDir(this.store));
    appendLines(triggersFile(this.store), [JSON.stringify(t)]);
    this.lastTrigger = t;
  }

  /** Ask for a run: starts one now, or coalesces into the one queued after the current run. */
  trigger(reason: string): void {
    if (this.stopped) return;
    if (this.running) {
      if (this.pending) this.record({ time: Date.now(), reason, coalesced: true });
      this.pending = this.pending ? this.pending : reason;
      this.log(`${reason}: a pipeline is running; queued`);
      return;
    }
    this.running = this.runOnce(reason).finally(() => {
      this.running = undefined;
      const next = this.pending;
      this.pending = undefined;
      if (next) this.trigger(next);
    });
  }

  private async runOnce(reason: string): Promise<void> {
    this.log(`${reason}: running the pipeline`);
    try {
      const r = this.options.run
        ? await this.options.run(reason)
        : await runPipeline(this.store, loadPipeline(this.file), {
            trigger: reason,
            onEvent: this.options.onEvent,
          });
      this.record({ time: Date.now(), reason, pipelineRun: r.id, ok: r.ok });
      this.log(r.ok ? `pipeline ${r.id} succeeded` : `pipeline ${r.id} failed: ${r.failed.join(', ')}`);
      this.options.onRunDone?.(r, reason);
    } catch (e) {
      this.record({ time: Date.now(), reason, ok: false });
      this.log(`${reason}: ${errorMessage(e)}`);
    }
  }

  /** Resolves when no pipeline runs and none is queued. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.debounce);
    for (const t of this.timers) clearTimeout(t);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }
}
