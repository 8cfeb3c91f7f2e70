import * as fs from 'node:fs';
import { RunlensError } from '../errors';
import { ChunkedColumn, isMissing, openTable, parseNumber } from '../data/table';
import type { TableStream } from '../data/table';
import type { ColumnType, DriftMethod, Histogram } from '../../protocol/drift';
import {
  binEdges,
  chisquare,
  histogramSorted,
  jensenShannon,
  ks2sampSorted,
  proportionsZTest,
  psi,
  wassersteinSorted,
} from './stats';

/** p-value tests flag drift below the threshold; distances at or above it. */
const P_VALUE_METHODS = new Set<DriftMethod>(['ks', 'chisquare', 'z']);
const DEFAULT_THRESHOLD: Record<DriftMethod, number> = {
  ks: 0.05,
  chisquare: 0.05,
  z: 0.05,
  wasserstein: 0.1,
  jensenshannon: 0.1,
  psi: 0.1,
};

export interface DriftOptions {
  /** Only these columns (default: every column of the reference but `by`). */
  columns?: string[];
  types?: Record<string, ColumnType>;
  methods?: Record<string, DriftMethod>;
  /** Method for every column without its own (e.g. "psi"). */
  method?: DriftMethod;
  thresholds?: Record<string, number>;
  /** Dataset drift when at least this share of columns drift (default 0.5). */
  driftShare?: number;
  /** Split the current data by this column's values into windows: a drift timeline. */
  by?: string;
  /** Memory for the current file's values (default 128 MB: with parsing garbage a 500 MB CSV then peaks near 370 MB resident); past it the file is read once per group of columns. */
  memoryBudgetMB?: number;
  /** Histogram bins of numeric columns in the result. */
  bins?: number;
}

export interface ColumnDrift {
  column: string;
  type: ColumnType;
  method: DriftMethod;
  /** The test's statistic (KS D, chi-square, z) or the distance (normed Wasserstein, JS, PSI). */
  statistic: number;
  pValue: number | null;
  threshold: number;
  drifted: boolean;
  /** How far past the threshold, for sorting by severity: 1 - p / threshold or value / threshold. */
  severity: number;
  reference: { rows: number; missing: number; missingRate: number; invalid: number };
  current: { rows: number; missing: number; missingRate: number; invalid: number };
  missingRateShift: number;
  histogram: Histogram;
  /** Why the column was not tested (all missing in one file). */
  skipped?: string;
}

/** Why a column was left out (or partly left out) of the comparison. */
export type DriftWarningKind = 'missingInCurrent' | 'notInReference' | 'invalidCells' | 'noValues';

export interface DriftWarning {
  kind: DriftWarningKind;
  file: string;
  column: string;
  line?: number;
  message: string;
}

export interface DriftSummary {
  columns: ColumnDrift[];
  drifted: number;
  tested: number;
  share: number;
  driftShare: number;
  datasetDrift: boolean;
}

export interface DriftReport extends DriftSummary {
  schemaVersion: 1;
  reference: { file: string; rows: number };
  current: { file: string; rows: number };
  warnings: DriftWarning[];
  timeline?: {
    by: string;
    windows: Array<
      { window: string; rows: number } & Omit<DriftSummary, 'columns'> & {
          columns: Array<Pick<ColumnDrift, 'column' | 'method' | 'statistic' | 'pValue' | 'drifted'>>;
        }
    >;
  };
}

/** Values of one column of one file: numbers or category codes, plus counts of missing and unparsable cells. */
interface ColumnData {
  numbers: ChunkedColumn | null;
  codes: Map<string, number> | null;
  categories: string[];
  catIndex: ChunkedColumn | null;
  missing: number;
  invalid: number;
  firstInvalid?: { line: number; cell: string };
}

const SNIFF_ROWS = 1000;
const NUMERIC_SHARE = 0.95;
const BOOL = new Set(['true', 'false']);

function detectType(values: string[]): ColumnType {
  const present = values.filter((v) => !isMissing(v));
  if (present.length === 0) return 'numeric';
  const lower = new Set(present.map((v) => v.trim().toLowerCase()));
  if ([...lower].every((v) => BOOL.has(v))) return 'boolean';
  let numeric = 0;
  for (const v of present) if (!Number.isNaN(parseNumber(v.trim()))) numeric++;
  if (numeric / present.length < NUMERIC_SHARE) return 'categorical';
  if (lower.size <= 2 && [...lower].every((v) => Number(v) === 0 || Number(v) === 1)) return 'boolean';
  return 'numeric';
}

interface Loaded {
  file: string;
  rows: number;
  data: Map<string, ColumnData>;
  /** Window of each row (current file with `by`). */
  window: ChunkedColumn | null;
  windows: string[];
}

async function load(
  t: TableStream,
  columns: string[],
  types: Map<string, ColumnType>,
  by: string | undefined,
  warnings: DriftWarning[],
): Promise<Loaded> {
  const idx = columns.map((c) => t.header.indexOf(c));
  const byIdx = by === undefined ? -1 : t.header.indexOf(by);
  const data = new Map<string, ColumnData>();
  const windowIndex = new Map<string, number>();
  const windows: string[] = [];
  const window = byIdx >= 0 ? new ChunkedColumn('i32') : null;
  const sniff: { cells: string[]; line: number }[] = [];
  let rows = 0;
  const init = (): void => {
    columns.forEach((c, k) => {
      if (!types.has(c)) types.set(c, detectType(sniff.map((r) => r.cells[idx[k]])));
      const numeric = types.get(c) === 'numeric';
      data.set(c, {
        numbers: numeric ? new ChunkedColumn('f64') : null,
        codes: numeric ? null : new Map(),
        categories: [],
        catIndex: numeric ? null : new ChunkedColumn('i32'),
        missing: 0,
        invalid: 0,
      });
    });
  };
  const add = (cells: string[], line: number): void => {
    rows++;
    if (window) {
      const w = cells[byIdx].trim();
      let wi = windowIndex.get(w);
      if (wi === undefined) {
        wi = windows.length;
        windows.push(w);
        windowIndex.set(w, wi);
      }
      window.push(wi);
    }
    for (let k = 0; k < columns.length; k++) {
      const d = data.get(columns[k])!;
      const cell = cells[idx[k]];
      if (isMissing(cell)) {
        d.missing++;
        if (d.numbers) d.numbers.push(NaN);
        else d.catIndex!.push(-1);
        continue;
      }
      if (d.numbers) {
        const v = parseNumber(cell.trim());
        if (Number.isNaN(v)) {
          d.invalid++;
          d.firstInvalid ??= { line, cell };
        }
        d.numbers.push(v);
      } else {
        let key = cell.trim();
        if (types.get(columns[k]) === 'boolean') key = key.toLowerCase();
        let code = d.codes!.get(key);
        if (code === undefined) {
          code = d.categories.length;
          d.categories.push(key);
          d.codes!.set(key, code);
        }
        d.catIndex!.push(code);
      }
    }
  };
  for await (const r of t.rows) {
    if (sniff.length < SNIFF_ROWS && data.size === 0) {
      sniff.push(r);
      if (sniff.length === SNIFF_ROWS) {
        init();
        for (const s of sniff) add(s.cells, s.line);
      }
      continue;
    }
    add(r.cells, r.line);
  }
  if (data.size === 0) {
    init();
    for (const s of sniff) add(s.cells, s.line);
  }
  for (const [c, d] of data) {
    if (d.invalid > 0) {
      warnings.push({
        kind: 'invalidCells',
        file: t.file,
        column: c,
        line: d.firstInvalid!.line,
        message: `column "${c}" is numeric but ${d.invalid} cells are not numbers (first: line ${d.firstInvalid!.line}, "${d.firstInvalid!.cell}"); they are left out of the test`,
      });
    }
  }
  return { file: t.file, rows, data, window, windows };
}

function sortedNumbers(col: Float64Array, rows?: Uint32Array): Float64Array {
  let n = 0;
  const src = rows ? Float64Array.from(rows, (r) => col[r]) : col;
  const out = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) if (!Number.isNaN(src[i])) out[n++] = src[i];
  return out.subarray(0, n).sort();
}

function countCodes(col: ChunkedColumn, size: number, rows?: Uint32Array): number[] {
  const counts = new Array<number>(size).fill(0);
  const n = rows ? rows.length : col.length;
  for (let i = 0; i < n; i++) {
    const code = col.at(rows ? rows[i] : i);
    if (code >= 0) counts[code]++;
  }
  return counts;
}

function distinctSorted(a: Float64Array, b: Float64Array, limit: number): number {
  let i = 0,
    j = 0,
    n = 0;
  while ((i < a.length || j < b.length) && n <= limit) {
    const v = j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i] : b[j];
    while (i < a.length && a[i] === v) i++;
    while (j < b.length && b[j] === v) j++;
    n++;
  }
  return n;
}

/** Evidently's default: by reference size, column type and the number of distinct values in both. */
export function defaultMethod(type: ColumnType, refRows: number, nValues: number): DriftMethod {
  const numeric = type === 'numeric';
  if (refRows <= 1000) {
    if (numeric && nValues > 5) return 'ks';
    return nValues > 2 ? 'chisquare' : 'z';
  }
  if (numeric && nValues > 5) return 'wasserstein';
  return 'jensenshannon';
}

function populationStd(sorted: Float64Array): number {
  let s = 0;
  for (const v of sorted) s += v;
  const mean = s / sorted.length;
  let ss = 0;
  for (const v of sorted) ss += (v - mean) * (v - mean);
  return Math.sqrt(ss / sorted.length);
}

interface Sides {
  type: ColumnType;
  ref: { sorted?: Float64Array; counts?: number[] };
  cur: { sorted?: Float64Array; counts?: number[] };
  categories: string[];
}

function runTest(method: DriftMethod, s: Sides): { statistic: number; pValue: number | null } {
  if (s.type === 'numeric') {
    const a = s.ref.sorted!,
      b = s.cur.sorted!;
    switch (method) {
      case 'ks': {
        const r = ks2sampSorted(a, b);
        return { statistic: r.statistic, pValue: r.pValue };
      }
      case 'wasserstein':
        return { statistic: wassersteinSorted(a, b) / Math.max(populationStd(a), 0.001), pValue: null };
      default: {
        // Categorical tests on a numeric column see its distinct values as categories; PSI and JS on
        // more than 20 reference values use 30 equal-width bins over both samples, as Evidently does.
        const refDistinct = distinctSorted(a, new Float64Array(0), 21);
        if ((method === 'psi' || method === 'jensenshannon') && refDistinct > 20) {
          const edges = binEdges(Math.min(a[0], b[0]), Math.max(a[a.length - 1], b[b.length - 1]), 30);
          const r = histogramSorted(a, edges).map((c) => c / a.length);
          const c = histogramSorted(b, edges).map((x) => x / b.length);
          return method === 'psi'
            ? { statistic: psi(r, c), pValue: null }
            : { statistic: jensenShannon(r, c), pValue: null };
        }
        const keys = [...new Set([...a, ...b])].sort((x, y) => x - y);
        const cnt = (arr: Float64Array): number[] => {
          const m = new Map<number, number>();
          for (const v of arr) m.set(v, (m.get(v) ?? 0) + 1);
          return keys.map((k) => m.get(k) ?? 0);
        };
        return categoricalTest(method, cnt(a), cnt(b));
      }
    }
  }
  return categoricalTest(method, s.ref.counts!, s.cur.counts!);
}

/** One numeric column's test on in-memory values (NaN = missing), as detectDrift runs it. */
export function numericDrift(
  method: DriftMethod,
  reference: Float64Array,
  current: Float64Array,
): { statistic: number; pValue: number | null } {
  return runTest(method, {
    type: 'numeric',
    ref: { sorted: sortedNumbers(reference) },
    cur: { sorted: sortedNumbers(current) },
    categories: [],
  });
}

function categoricalTest(
  method: DriftMethod,
  ref: number[],
  cur: number[],
): { statistic: number; pValue: number | null } {
  const keep = ref.map((r, i) => r + cur[i] > 0);
  const r = ref.filter((_, i) => keep[i]);
  const c = cur.filter((_, i) => keep[i]);
  const nr = r.reduce((s, x) => s + x, 0);
  const nc = c.reduce((s, x) => s + x, 0);
  switch (method) {
    case 'chisquare': {
      const k = nc / nr;
      const res = chisquare(
        c,
        r.map((x) => x * k),
      );
      return { statistic: res.statistic, pValue: res.pValue };
    }
    case 'z': {
      if (r.length <= 1) return { statistic: 0, pValue: 1 };
      const res = proportionsZTest(r[0], nr, c[0], nc);
      return { statistic: res.statistic, pValue: res.pValue };
    }
    case 'jensenshannon':
      return {
        statistic: jensenShannon(
          r.map((x) => x / nr),
          c.map((x) => x / nc),
        ),
        pValue: null,
      };
    case 'psi':
      return {
        statistic: psi(
          r.map((x) => x / nr),
          c.map((x) => x / nc),
        ),
        pValue: null,
      };
    default:
      throw new RunlensError(
        `method "${method}" needs a numeric column`,
        'use chisquare, z, jensenshannon or psi',
        'usage',
      );
  }
}

function listed(names: string[]): string {
  const shown = names.slice(0, 8).map((n) => `"${n}"`);
  return names.length > 8 ? `${shown.join(', ')} and ${names.length - 8} more` : shown.join(', ');
}

/** No column in both files: nothing can be compared, which is an error and never a pass. */
function nothingInCommon(
  refFile: string,
  refHeader: string[],
  curFile: string,
  curHeader: string[],
): RunlensError {
  // A first line of counts (scikit-learn's `569,30,malignant,benign`) or of data, not of names.
  const numeric = (h: string[]) =>
    h.filter((c) => c.trim() !== '' && Number.isFinite(Number(c))).length * 2 >= h.length;
  const hint =
    numeric(refHeader) || numeric(curHeader)
      ? `the first line of ${numeric(refHeader) ? refFile : curFile} starts with numbers, not column names: give it a header line`
      : 'both files need a header line with the same column names';
  return new RunlensError(
    `nothing compared: no column of the reference ${refFile} (${listed(refHeader)}) is in ${curFile} (${listed(curHeader)})`,
    hint,
    'data',
  );
}

/** Compare the current data with the reference, column by column, as Evidently's data drift preset does. */
export async function detectDrift(
  referenceFile: string,
  currentFile: string,
  o: DriftOptions = {},
): Promise<DriftReport> {
  const refT = await openTable(referenceFile);
  const curT = await openTable(currentFile);
  const warnings: DriftWarning[] = [];
  if (o.by !== undefined && !curT.header.includes(o.by)) {
    throw new RunlensError(
      `${currentFile}: no column "${o.by}" to split windows by; columns are ${curT.header.join(', ')}`,
      undefined,
      'usage',
    );
  }
  const wanted = o.columns ?? refT.header.filter((c) => c !== o.by);
  for (const c of wanted) {
    if (!refT.header.includes(c))
      throw new RunlensError(
        `${referenceFile}: no column "${c}"; columns are ${refT.header.join(', ')}`,
        undefined,
        'usage',
      );
  }
  const columns: string[] = [];
  for (const c of wanted) {
    if (curT.header.includes(c)) columns.push(c);
    else
      warnings.push({
        kind: 'missingInCurrent',
        file: currentFile,
        column: c,
        message: `column "${c}" of the reference is missing from ${currentFile}; not tested`,
      });
  }
  for (const c of curT.header) {
    if (c !== o.by && !refT.header.includes(c) && !o.columns) {
      warnings.push({
        kind: 'notInReference',
        file: currentFile,
        column: c,
        message: `column "${c}" is not in the reference ${referenceFile}; not tested`,
      });
    }
  }
  if (columns.length === 0) throw nothingInCommon(referenceFile, refT.header, currentFile, curT.header);
  const types = new Map<string, ColumnType>(
    Object.entries(o.types ?? {}).filter(([c]) => columns.includes(c)),
  );
  const ref = await load(refT, columns, types, undefined, warnings);
  if (ref.rows === 0) throw new RunlensError(`${referenceFile} has a header but no rows`);
  const driftShare = o.driftShare ?? 0.5;
  // Sorted reference columns, shared by the whole-data test and every window's.
  const refCache = new Map<string, Float64Array>();
  // The current file's values are kept (exact tests need them sorted); when they would pass the
  // memory budget, the file is read again for each group of columns.
  const groups = columnGroups(columns, types, estimateRows(currentFile), (o.memoryBudgetMB ?? 128) * 1e6);
  let curRows = 0;
  const fullCols: ColumnDrift[] = [];
  let windows: { name: string; rows: Uint32Array; cols: ColumnDrift[] }[] | undefined;
  for (let g = 0; g < groups.length; g++) {
    const t = g === 0 ? curT : await openTable(currentFile);
    const cur = await load(t, groups[g], types, o.by, warnings);
    if (cur.rows === 0) throw new RunlensError(`${currentFile} has a header but no rows`);
    curRows = cur.rows;
    fullCols.push(...summarize(groups[g], types, ref, cur, undefined, o, warnings, true, refCache));
    if (o.by !== undefined && cur.window) {
      windows ??= windowsOf(cur);
      for (const w of windows)
        w.cols.push(...summarize(groups[g], types, ref, cur, w.rows, o, [], false, refCache));
    }
  }
  const report: DriftReport = {
    schemaVersion: 1,
    reference: { file: referenceFile, rows: ref.rows },
    current: { file: currentFile, rows: curRows },
    ...tally(fullCols, driftShare),
    warnings,
  };
  if (o.by !== undefined && windows) {
    report.timeline = {
      by: o.by,
      windows: windows.map((w) => {
        const s = tally(w.cols, driftShare);
        return {
          window: w.name,
          rows: w.rows.length,
          drifted: s.drifted,
          tested: s.tested,
          share: s.share,
          driftShare,
          datasetDrift: s.datasetDrift,
          columns: s.columns.map((c) => ({
            column: c.column,
            method: c.method,
            statistic: c.statistic,
            pValue: c.pValue,
            drifted: c.drifted,
          })),
        };
      }),
    };
  }
  return report;
}

/** The windows of the current data, in natural order of their names, with their rows. */
function windowsOf(cur: Loaded): { name: string; rows: Uint32Array; cols: ColumnDrift[] }[] {
  const w = cur.window!;
  const members = cur.windows.map(() => [] as number[]);
  for (let i = 0; i < w.length; i++) members[w.at(i)].push(i);
  const order = cur.windows.map((name, i) => ({ name, i }));
  const numericNames = order.every(({ name }) => name !== '' && !Number.isNaN(Number(name)));
  order.sort((a, b) =>
    numericNames ? Number(a.name) - Number(b.name) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  return order.map(({ name, i }) => ({ name, rows: Uint32Array.from(members[i]), cols: [] }));
}

/** Rows of a file estimated from its size and the length of its first lines. */
function estimateRows(file: string): number {
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(Math.min(size, 1 << 16));
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    let lines = 0;
    for (let i = 0; i < n; i++) if (buf[i] === 10) lines++;
    if (n === size || lines === 0) return Math.max(lines, 1);
    return Math.ceil((size / n) * lines * 1.1);
  } finally {
    fs.closeSync(fd);
  }
}

/** Columns packed into groups whose values fit the budget (numbers 8 bytes a row, category codes 4). */
function columnGroups(
  columns: string[],
  types: Map<string, ColumnType>,
  rows: number,
  budget: number,
): string[][] {
  const groups: string[][] = [[]];
  let used = 0;
  for (const c of columns) {
    const bytes = rows * (types.get(c) === 'numeric' ? 8 : 4);
    const cur = groups[groups.length - 1];
    if (cur.length > 0 && used + bytes > budget) {
      groups.push([c]);
      used = bytes;
    } else {
      cur.push(c);
      used += bytes;
    }
  }
  return groups;
}

function tally(columns: ColumnDrift[], driftShare: number): DriftSummary {
  const tested = columns.filter((c) => !c.skipped);
  const drifted = tested.filter((c) => c.drifted).length;
  const share = tested.length ? drifted / tested.length : 0;
  return {
    columns: [...columns].sort((a, b) => b.severity - a.severity),
    drifted,
    tested: tested.length,
    share,
    driftShare,
    datasetDrift: tested.length > 0 && share >= driftShare,
  };
}

function summarize(
  columns: string[],
  types: Map<string, ColumnType>,
  ref: Loaded,
  cur: Loaded,
  rows: Uint32Array | undefined,
  o: DriftOptions,
  warnings: DriftWarning[],
  withHistograms: boolean,
  refCache: Map<string, Float64Array>,
): ColumnDrift[] {
  const out: ColumnDrift[] = [];
  for (const c of columns) {
    const type = types.get(c)!;
    const rd = ref.data.get(c)!;
    const cd = cur.data.get(c)!;
    const curRows = rows ? rows.length : cur.rows;
    let curMissing = cd.missing;
    let curInvalid = cd.invalid;
    const sides: Sides = { type, ref: {}, cur: {}, categories: [] };
    let nValues: number;
    if (type === 'numeric') {
      let refSorted = refCache.get(c);
      if (!refSorted) refCache.set(c, (refSorted = rd.numbers!.sortedFinite()));
      sides.ref.sorted = refSorted;
      sides.cur.sorted = cd.numbers!.sortedFinite(rows);
      if (rows) {
        const vals = cd.numbers!;
        // Within a window unparsable cells are not told apart from missing ones.
        curMissing = 0;
        curInvalid = 0;
        for (const r of rows) if (Number.isNaN(vals.at(r))) curMissing++;
      }
      nValues = distinctSorted(sides.ref.sorted, sides.cur.sorted, 6);
    } else {
      // One category list for both files: the reference's codes first, then the current's new ones.
      const cats = [...rd.categories];
      const map = new Map(cats.map((k, i) => [k, i]));
      for (const k of cd.categories) if (!map.has(k)) map.set(k, cats.push(k) - 1);
      const refCounts = countCodes(rd.catIndex!, cats.length);
      const curLocal = countCodes(cd.catIndex!, cd.categories.length, rows);
      const curCounts = new Array<number>(cats.length).fill(0);
      cd.categories.forEach((k, i) => (curCounts[map.get(k)!] += curLocal[i]));
      sides.ref.counts = refCounts;
      sides.cur.counts = curCounts;
      sides.categories = cats;
      if (rows) curMissing = curRows - curCounts.reduce((s, x) => s + x, 0);
      nValues = cats.filter((_, i) => refCounts[i] + curCounts[i] > 0).length;
    }
    const refPresent = ref.rows - rd.missing - rd.invalid;
    const curPresent = curRows - curMissing - curInvalid;
    const method = o.methods?.[c] ?? o.method ?? defaultMethod(type, refPresent, nValues);
    const threshold = o.thresholds?.[c] ?? DEFAULT_THRESHOLD[method];
    const base = {
      column: c,
      type,
      method,
      threshold,
      reference: {
        rows: ref.rows,
        missing: rd.missing,
        missingRate: rd.missing / ref.rows,
        invalid: rd.invalid,
      },
      current: {
        rows: curRows,
        missing: curMissing,
        missingRate: curRows ? curMissing / curRows : 0,
        invalid: curInvalid,
      },
      missingRateShift: (curRows ? curMissing / curRows : 0) - rd.missing / ref.rows,
      histogram: withHistograms ? histogramOf(sides, o.bins ?? 30) : { reference: [], current: [] },
    };
    if (refPresent === 0 || curPresent === 0) {
      const which = refPresent === 0 ? 'reference' : 'current';
      if (warnings !== undefined && withHistograms) {
        warnings.push({
          kind: 'noValues',
          file: refPresent === 0 ? ref.file : cur.file,
          column: c,
          message: `column "${c}" has no values in the ${which} data; not tested`,
        });
      }
      out.push({
        ...base,
        statistic: NaN,
        pValue: null,
        drifted: false,
        severity: 0,
        skipped: `no values in the ${which} data`,
      });
      continue;
    }
    const r = runTest(method, sides);
    const isP = P_VALUE_METHODS.has(method);
    const value = isP ? r.pValue! : r.statistic;
    const drifted = isP ? value < threshold : value >= threshold;
    const severity = isP ? 1 - value / threshold : value / threshold - 1;
    out.push({ ...base, statistic: r.statistic, pValue: r.pValue, drifted, severity });
  }
  return out;
}

const TOP_CATEGORIES = 30;

function histogramOf(s: Sides, bins: number): Histogram {
  if (s.type === 'numeric') {
    const a = s.ref.sorted!,
      b = s.cur.sorted!;
    if (a.length === 0 && b.length === 0) return { edges: [], reference: [], current: [] };
    const lo = Math.min(a.length ? a[0] : Infinity, b.length ? b[0] : Infinity);
    const hi = Math.max(a.length ? a[a.length - 1] : -Infinity, b.length ? b[b.length - 1] : -Infinity);
    const edges = binEdges(lo, hi, bins);
    return { edges, reference: histogramSorted(a, edges), current: histogramSorted(b, edges) };
  }
  const order = s.categories
    .map((k, i) => ({ k, n: s.ref.counts![i] + s.cur.counts![i], i }))
    .filter((x) => x.n > 0)
    .sort((x, y) => y.n - x.n)
    .slice(0, TOP_CATEGORIES);
  return {
    categories: order.map((x) => x.k),
    reference: order.map((x) => s.ref.counts![x.i]),
    current: order.map((x) => s.cur.counts![x.i]),
  };
}
