// The run colours of the first 12 runs of a panel stay apart in the light, dark and high-contrast
// themes, as the webview paints them (themedColor moves the lightness per background).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RUN_PALETTE, runColorAt } from '../../../src/core/charts/panelData';
import { themedColor } from '../../../webview-ui/shared/theme';
import type { ThemeColors } from '../../../webview-ui/shared/theme';

function hslToRgb(css: string): [number, number, number] {
  const m = /^hsl\((\d+(?:\.\d+)?),\s*(\d+)%,\s*(\d+)%\)$/.exec(css);
  assert.ok(m, css);
  const h = Number(m[1]) / 360;
  const s = Number(m[2]) / 100;
  const l = Number(m[3]) / 100;
  const q = l < 0.5 ? l * (1 + s) : l + s - l * s;
  const p = 2 * l - q;
  const f = (t: number) => {
    t = (t + 1) % 1;
    if (t < 1 / 6) return p + (q - p) * 6 * t;
    if (t < 1 / 2) return q;
    if (t < 2 / 3) return p + (q - p) * (2 / 3 - t) * 6;
    return p;
  };
  return [f(h + 1 / 3), f(h), f(h - 1 / 3)];
}

/** sRGB (0..1) to CIELAB (D65). */
function lab([r, g, b]: [number, number, number]): [number, number, number] {
  const lin = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  const [R, G, B] = [lin(r), lin(g), lin(b)];
  const x = (0.4124 * R + 0.3576 * G + 0.1805 * B) / 0.95047;
  const y = 0.2126 * R + 0.7152 * G + 0.0722 * B;
  const z = (0.0193 * R + 0.1192 * G + 0.9505 * B) / 1.08883;
  const f = (t: number) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

const deltaE = (a: [number, number, number], b: [number, number, number]) =>
  Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

const THEMES: Record<string, Pick<ThemeColors, 'background'>> = {
  light: { background: '#ffffff' },
  dark: { background: '#1e1e1e' },
  'high-contrast': { background: '#000000' },
  'high-contrast-light': { background: '#ffffff' },
};

describe('run palette', () => {
  for (const [name, theme] of Object.entries(THEMES)) {
    test(`the first 12 runs are told apart in the ${name} theme (CIELAB distance >= 20, >= 30 from the background)`, () => {
      const colors = Array.from({ length: 12 }, (_, i) =>
        lab(hslToRgb(themedColor(runColorAt(i, `run-${i}`), theme as ThemeColors))),
      );
      const bg = lab(
        theme.background === '#ffffff'
          ? [1, 1, 1]
          : theme.background === '#000000'
            ? [0, 0, 0]
            : [0.118, 0.118, 0.118],
      );
      let min = Infinity;
      let pair = '';
      for (let i = 0; i < colors.length; i++) {
        assert.ok(
          deltaE(colors[i], bg) >= 30,
          `run ${i} against the background: ${deltaE(colors[i], bg).toFixed(1)}`,
        );
        for (let j = i + 1; j < colors.length; j++) {
          const d = deltaE(colors[i], colors[j]);
          if (d < min) [min, pair] = [d, `${i}/${j}`];
        }
      }
      assert.ok(min >= 20, `closest pair ${pair}: ${min.toFixed(1)}`);
    });
  }

  test('12 colours, then a hue from the run id', () => {
    assert.equal(RUN_PALETTE.length, 12);
    assert.equal(runColorAt(3, 'x'), RUN_PALETTE[3]);
    assert.match(runColorAt(12, 'x'), /^hsl\(/);
  });
});
