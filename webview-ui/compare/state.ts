import type {
  CompareFromWebview,
  CompareSnapshot,
  CompareToWebview,
  CompareViewState,
  WhatChangedView,
} from '../../src/protocol/compare';
import { connectHost } from '../shared/host';
import { readTheme } from '../shared/theme';
import type { ThemeColors } from '../shared/theme';

export const host = connectHost<CompareViewState, CompareToWebview, CompareFromWebview>('compare', {
  snapshot: true,
  notice: true,
  whatChanged: true,
});

/** What the view keeps across reloads (setState). */
export const state: CompareViewState = {
  refs: host.saved?.refs ?? [],
  baselineRef: host.saved?.baselineRef ?? null,
  step: host.saved?.step ?? null,
  onlyDiffering: host.saved?.onlyDiffering ?? true,
  stat: host.saved?.stat ?? 'last',
  sort: host.saved?.sort ?? null,
  parallelMetric: host.saved?.parallelMetric ?? null,
  scatter: host.saved?.scatter ?? { param: null, metric: null },
  paramsAsRows: host.saved?.paramsAsRows ?? null,
  collapsed: host.saved?.collapsed ?? [],
  axes: host.saved?.axes ?? null,
  whatChangedRef: host.saved?.whatChangedRef ?? null,
};

/** The last snapshot and "What Changed" view from the host, and the current theme. */
export const view: {
  snapshot: CompareSnapshot | undefined;
  whatChanged: WhatChangedView | undefined;
  theme: ThemeColors;
} = {
  snapshot: undefined,
  whatChanged: undefined,
  theme: readTheme(),
};

export function save(): void {
  host.save(state);
}
