/**
 * Two-sample statistics as scipy 1.10 computes them (ks_2samp, chisquare, wasserstein_distance,
 * jensenshannon) and the Z-test of proportions and PSI as Evidently defines them.
 */

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  x -= 1;
  let a = LANCZOS[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularised upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a): series below a + 1, Lentz's continued fraction above. */
export function gammaincc(a: number, x: number): number {
  if (x <= 0) return 1;
  if (!Number.isFinite(x)) return 0;
  const lead = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 10000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-17) break;
    }
    return 1 - Math.exp(lead) * sum;
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-17) break;
  }
  return Math.exp(lead) * h;
}

/** erfc through Q(1/2, x²), accurate to about 1e-15 relative. */
export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  return gammaincc(0.5, x * x);
}

/** Survival function of the chi-square distribution. */
export function chi2Sf(x: number, df: number): number {
  return gammaincc(df / 2, x / 2);
}

export interface TestResult {
  statistic: number;
  pValue: number;
}

/** scipy.stats.chisquare(f_obs, f_exp): statistic sum((o-e)^2/e), p-value chi2.sf(stat, k-1). */
export function chisquare(observed: number[], expected: number[]): TestResult {
  let stat = 0;
  for (let i = 0; i < observed.length; i++) {
    const d = observed[i] - expected[i];
    stat += (d * d) / expected[i];
  }
  return { statistic: stat, pValue: chi2Sf(stat, observed.length - 1) };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** ks_2samp's exact two-sided probability for n1 == n2 (scipy's _compute_prob_outside_square). */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  let k = Math.floor(n / h);
  while (k >= 0) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
    k--;
  }
  return 2 * P;
}

/** scipy's _compute_outer_prob_inside_method: 1 - proportion of lattice paths inside |x/m - y/n| < h/lcm. */
function outerProbInside(m0: number, n0: number, g: number, h: number): number {
  let m = m0,
    n = n0;
  if (m < n) [m, n] = [n, m];
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  for (let j = minj; j < maxj; j++) A[j] = 0;
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.max(Math.floor((ng * i - h) / mg) + 1, 0);
    minj = Math.min(minj, n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj] * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) {
      for (let t = maxj - minj; t < maxj - minj + (lastlen - curlen) && t < lenA; t++) A[t] = 1;
    }
  }
  return A[maxj - minj - 1];
}

const PI2 = Math.PI ** 2;
const PI4 = Math.PI ** 4;
const PI6 = Math.PI ** 6;
const SQRT2PI = Math.sqrt(2 * Math.PI);

/** Pelz-Good approximation of P(D_n <= x) (scipy's _kolmogn_PelzGood). */
function kolmogornPelzGood(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z * z,
    z3 = z2 * z,
    z4 = z2 * z2,
    z6 = z4 * z2;
  const qlog = -PI2 / 8 / z2;
  if (qlog < -708) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m * m,
      m4 = m2 * m2,
      m6 = m4 * m2;
    const qp = q ** (8 * k);
    const coeffs = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
    for (let t = 0; t < 4; t++) K[t] = K[t] * qp + coeffs[t];
  }
  const div = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let t = 0; t < 4; t++) K[t] = (K[t] * q * SQRT2PI) / div[t];
  q = Math.exp(-PI2 / 2 / z2);
  let k2extra = 0;
  let k3extra = 0;
  const sqrt3z = Math.sqrt(3) * z;
  for (let k = maxk; k > 0; k--) {
    const qp = q ** (k * k);
    k2extra += k * k * qp;
    const kspi = Math.PI * k;
    k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * k * k * qp;
  }
  K[2] += (k2extra * PI2 * SQRT2PI) / (-36 * z3);
  K[3] += (k3extra * PI2 * SQRT2PI) / (216 * z6);
  let sum = 0;
  for (let t = 0; t < 4; t++) sum += K[t] / n ** (t / 2);
  return sum;
}

/**
 * Survival function of the two-sided one-sample KS statistic, as scipy's kstwo.sf for the
 * n > 140 cases ks_2samp reaches (samples over 10,000): 0 far in the tail, Ruben-Gambino at the
 * ends, else 1 - Pelz-Good (scipy uses the Durbin matrix below n*x^1.5 <= 1.4; Pelz-Good agrees
 * there to about 1e-7 for the n of such samples).
 */
export function kstwoSf(n: number, x: number): number {
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 0.5) return 1;
  if (t >= n - 1) return Math.min(1, 2 * (1 - x) ** n);
  if (t * x >= 370) return 0;
  return Math.min(1, Math.max(0, 1 - kolmogornPelzGood(n, x)));
}

export interface KsResult extends TestResult {
  method: 'exact' | 'asymp';
}

/** scipy.stats.ks_2samp(a, b) two-sided, method='auto'. Both arrays must be sorted ascending. */
export function ks2sampSorted(a: Float64Array, b: Float64Array): KsResult {
  const n1 = a.length,
    n2 = b.length;
  let i = 0,
    j = 0;
  let maxS = -Infinity,
    minS = Infinity;
  // The ECDF difference only changes at data points; walk both sorted samples once.
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && a[i] <= b[j]) ? a[i] : b[j];
    while (i < n1 && a[i] === v) i++;
    while (j < n2 && b[j] === v) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxS) maxS = diff;
    if (diff < minS) minS = diff;
  }
  const negS = Math.min(Math.max(-minS, 0), 1);
  let d = negS > maxS ? negS : maxS;
  const g = gcd(n1, n2);
  let method: KsResult['method'] = Math.max(n1, n2) <= 10000 ? 'exact' : 'asymp';
  let prob = NaN;
  if (method === 'exact') {
    const lcm = (n1 / g) * n2;
    const h = Math.round(d * lcm);
    d = h / lcm;
    if (h === 0) prob = 1;
    else prob = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
    if (!(prob >= 0 && prob <= 1)) method = 'asymp';
  }
  if (method === 'asymp') {
    const m = Math.max(n1, n2),
      n = Math.min(n1, n2);
    const en = (m * n) / (m + n);
    prob = kstwoSf(Math.round(en), d);
  }
  return { statistic: d, pValue: Math.min(Math.max(prob, 0), 1), method };
}

/** scipy.stats.wasserstein_distance(u, v) for sorted samples (equal weights). */
export function wassersteinSorted(u: Float64Array, v: Float64Array): number {
  const nu = u.length,
    nv = v.length;
  let i = 0,
    j = 0;
  let sum = 0;
  let prev = Math.min(u[0], v[0]);
  while (i < nu || j < nv) {
    const x = j >= nv || (i < nu && u[i] <= v[j]) ? u[i] : v[j];
    sum += Math.abs(i / nu - j / nv) * (x - prev);
    prev = x;
    while (i < nu && u[i] === x) i++;
    while (j < nv && v[j] === x) j++;
  }
  return sum;
}

/** scipy.spatial.distance.jensenshannon(p, q) with the natural logarithm (Evidently's default). */
export function jensenShannon(p: number[], q: number[]): number {
  const ps = p.reduce((s, x) => s + x, 0);
  const qs = q.reduce((s, x) => s + x, 0);
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i] / ps,
      b = q[i] / qs;
    const m = (a + b) / 2;
    if (a > 0) js += a * Math.log(a / m);
    if (b > 0) js += b * Math.log(b / m);
  }
  return Math.sqrt(js / 2);
}

/** Evidently's two-proportion Z-test: p-value 2 * (1 - Φ(|z|)), here through erfc for accuracy. */
export function proportionsZTest(refHits: number, refN: number, curHits: number, curN: number): TestResult {
  const p1 = refHits / refN,
    p2 = curHits / curN;
  const P = (p1 * refN + p2 * curN) / (refN + curN);
  const z = (p1 - p2) / Math.sqrt(P * (1 - P) * (1 / refN + 1 / curN));
  return { statistic: z, pValue: erfc(Math.abs(z) / Math.SQRT2) };
}

/** Evidently's PSI over bin shares; empty bins get a small share (min share / 1e6, at most 1e-4). */
export function psi(refShares: number[], curShares: number[]): number {
  const r = fillZeroes(refShares);
  const c = fillZeroes(curShares);
  let s = 0;
  for (let i = 0; i < r.length; i++) s += (r[i] - c[i]) * Math.log(r[i] / c[i]);
  return s;
}

function fillZeroes(a: number[]): number[] {
  const nz = a.filter((x) => x !== 0);
  if (nz.length === 0) return a;
  const min = Math.min(...nz);
  const fill = min <= 0.0001 ? min / 1e6 : 0.0001;
  return a.map((x) => (x === 0 ? fill : x));
}

/** numpy.histogram_bin_edges(values, bins) over [lo, hi]: linspace as numpy computes it. */
export function binEdges(lo: number, hi: number, bins: number): number[] {
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const step = (hi - lo) / bins;
  const edges: number[] = [];
  for (let i = 0; i < bins; i++) edges.push(i * step + lo);
  edges.push(hi);
  return edges;
}

/** numpy.histogram(sorted, edges): [e_i, e_i+1) bins, the last one closed. */
export function histogramSorted(sorted: Float64Array, edges: number[]): number[] {
  const lower = (x: number, right: boolean): number => {
    let lo = 0,
      hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (right ? sorted[mid] <= x : sorted[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const cum = edges.map((e, i) => lower(e, i === edges.length - 1));
  return cum.slice(1).map((c, i) => c - cum[i]);
}
