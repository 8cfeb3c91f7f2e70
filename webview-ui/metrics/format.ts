import { assertNever } from '../../src/protocol/common';
import type { NonFiniteCode } from '../../src/protocol/common';
import type { XAxis } from '../../src/protocol/metrics';
import { formatDuration, formatNumber } from '../shared/dom';
import { state } from './state';

export const X_LABELS: Record<XAxis, string> = { step: 'step', wall: 'wall time', relative: 'relative time' };

export function formatX(value: number): string {
  switch (state.xAxis) {
    case 'step':
      return formatNumber(value);
    case 'wall': {
      const d = new Date(value);
      return `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })}`;
    }
    case 'relative':
      return formatDuration(value * 1000);
    default:
      return assertNever(state.xAxis, 'x axis');
  }
}

/**
 * A run's value at one point as the tooltip and the table show it: the drawn (smoothed) value,
 * the raw one in brackets when the line is smoothed, the non-finite value logged there, or a dash.
 */
export function valueText(
  drawn: number | null,
  raw: number | null,
  smoothed: boolean,
  flag: NonFiniteCode | undefined,
): string {
  if (flag) return `${flag} ⚠`;
  if (drawn === null) return '–';
  return smoothed && raw !== null ? `${formatNumber(drawn)} (${formatNumber(raw)})` : formatNumber(drawn);
}
