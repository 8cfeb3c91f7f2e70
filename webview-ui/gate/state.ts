import type { GateFromWebview, GateSnapshot, GateToWebview, GateViewState } from '../../src/protocol/gate';
import { connectHost } from '../shared/host';
import { readTheme } from '../shared/theme';
import type { ThemeColors } from '../shared/theme';

export const host = connectHost<GateViewState, GateToWebview, GateFromWebview>('gate', {
  snapshot: true,
  notice: true,
});

/** What the view keeps across reloads (setState). */
export const state: GateViewState = {
  candidateRef: host.saved?.candidateRef ?? '',
  baselineRef: host.saved?.baselineRef ?? null,
};

/** The last snapshot from the host and the current theme. */
export const view: { snapshot: GateSnapshot | undefined; theme: ThemeColors } = {
  snapshot: undefined,
  theme: readTheme(),
};
