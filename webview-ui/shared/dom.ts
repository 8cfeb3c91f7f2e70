/** Small DOM helpers: elements built with properties, never with HTML strings from data. */
// Numbers and durations look the same in a panel as in the CLI and the trees: the views take the
// core's formatter (browser-safe, bundled by esbuild) from here with the other DOM helpers.
export { formatDuration, formatNumber, plural } from '../../src/core/format';

type Props = Record<string, string | number | boolean | undefined>;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') e.className = String(v);
    else if (k === 'text') e.textContent = String(v);
    else if (
      k.startsWith('aria-') ||
      k.startsWith('data-') ||
      k === 'role' ||
      k === 'for' ||
      k === 'tabindex'
    )
      e.setAttribute(k, String(v));
    else (e as unknown as Record<string, unknown>)[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

/** An axis tick: at most 4 significant digits, `9e-4` and `1.2e+7` rather than `9.000e-4`. */
export function formatTick(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e7)) return v.toExponential(3).replace(/\.?0+e/, 'e');
  return Number(v.toPrecision(4)).toString();
}
