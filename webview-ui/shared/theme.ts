import type { ChartType, Plugin } from 'chart.js';
/** Colours and font of the current VS Code theme, read from its CSS variables (canvas cannot use var()). */
export interface ThemeColors {
  foreground: string;
  muted: string;
  grid: string;
  background: string;
  fontFamily: string;
  fontSize: number;
  highContrast: boolean;
}

export function readTheme(): ThemeColors {
  const css = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  const foreground = v('--vscode-foreground', '#616161');
  const highContrast =
    document.body.classList.contains('vscode-high-contrast') ||
    document.body.classList.contains('vscode-high-contrast-light');
  return {
    foreground,
    muted: v('--vscode-descriptionForeground', foreground),
    grid: highContrast
      ? v('--vscode-contrastBorder', foreground)
      : v('--vscode-editorWidget-border', v('--vscode-widget-border', 'rgba(128,128,128,0.35)')),
    background: v('--vscode-editor-background', '#ffffff'),
    fontFamily: v('--vscode-font-family', 'system-ui, sans-serif'),
    fontSize: parseFloat(v('--vscode-font-size', '13px')) || 13,
    highContrast,
  };
}

/** Call `fn` when VS Code switches theme (it changes the body's class and style). */
export function onThemeChange(fn: () => void): void {
  new MutationObserver(fn).observe(document.body, { attributes: true, attributeFilter: ['class', 'style'] });
}

/**
 * A run's colour for the current theme: the hue stays (it is what identifies the run across
 * panels); lightness moves so lines keep their contrast on a light or a dark background.
 */
export function themedColor(color: string, theme: ThemeColors): string {
  const m = /^hsl\((\d+(?:\.\d+)?),\s*(\d+)%,\s*(\d+)%\)$/.exec(color);
  if (!m) return color;
  const dark = luminance(theme.background) < 0.5;
  const l = Number(m[3]);
  const shifted = dark ? Math.min(74, l + 12) : Math.max(28, l - 12);
  return `hsl(${m[1]}, ${m[2]}%, ${shifted}%)`;
}

function luminance(css: string): number {
  const hex = /^#([0-9a-f]{6})/i.exec(css.trim());
  if (hex) {
    const n = parseInt(hex[1], 16);
    return (0.2126 * ((n >> 16) & 255) + 0.7152 * ((n >> 8) & 255) + 0.0722 * (n & 255)) / 255;
  }
  const rgb = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(css);
  if (rgb) return (0.2126 * Number(rgb[1]) + 0.7152 * Number(rgb[2]) + 0.0722 * Number(rgb[3])) / 255;
  return 1;
}

/** Paints the editor background under a chart, so an exported PNG is readable anywhere. */
export function backgroundPlugin<T extends ChartType = ChartType>(theme: () => ThemeColors): Plugin<T> {
  return {
    id: 'runlensBackground',
    beforeDraw(chart) {
      chart.ctx.save();
      chart.ctx.fillStyle = theme().background;
      chart.ctx.fillRect(0, 0, chart.width, chart.height);
      chart.ctx.restore();
    },
  };
}
