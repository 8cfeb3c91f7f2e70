/**
 * Sums in the order numpy's add.reduce uses for a contiguous float64 array (first element, then
 * pairwise blocks of 8), so averages agree with scikit-learn to the last bits, not only to 1e-12.
 */
export function npSum(a: ArrayLike<number>, start = 0, end = a.length): number {
  const n = end - start;
  if (n <= 0) return 0;
  return a[start] + pairwise(a, start + 1, n - 1);
}

function pairwise(a: ArrayLike<number>, off: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[off + i];
    return res;
  }
  if (n <= 128) {
    let r0 = a[off],
      r1 = a[off + 1],
      r2 = a[off + 2],
      r3 = a[off + 3],
      r4 = a[off + 4],
      r5 = a[off + 5],
      r6 = a[off + 6],
      r7 = a[off + 7];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      r0 += a[off + i];
      r1 += a[off + i + 1];
      r2 += a[off + i + 2];
      r3 += a[off + i + 3];
      r4 += a[off + i + 4];
      r5 += a[off + i + 5];
      r6 += a[off + i + 6];
      r7 += a[off + i + 7];
    }
    let res = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
    for (; i < n; i++) res += a[off + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwise(a, off, n2) + pairwise(a, off + n2, n - n2);
}

export function npMean(a: ArrayLike<number>): number {
  return npSum(a) / a.length;
}
