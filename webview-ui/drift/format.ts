/** Text shared by the summary, the table and the charts. */

export const TEST_NAMES: Record<string, string> = {
  ks: 'Kolmogorov–Smirnov (p-value)',
  chisquare: 'chi-square (p-value)',
  z: 'two-proportion z-test (p-value)',
  wasserstein: 'Wasserstein distance (normed)',
  jensenshannon: 'Jensen–Shannon distance',
  psi: 'population stability index',
};

export function percent(v: number): string {
  return `${(v * 100).toFixed(v > 0 && v < 0.1 ? 1 : 0)}%`;
}
