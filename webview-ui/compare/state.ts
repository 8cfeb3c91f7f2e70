import type {
  CompareFromWebview,
  CompareSnapshot,
  CompareToWebview,
  CompareViewState,
} from '../../src/protocol/compare';
import { connectHost } from '../shared/host';
import { readTheme } from '../shared/theme';
import type { ThemeColors } from '../shared/theme';

export const host = connectHost<CompareViewState, CompareToWebview, CompareFromWebview>('compare', {
  snapshot: true,
  notice: true,
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
};

/** The last snapshot from the host and the current theme. */
export const view: { snapshot: CompareSnapshot | undefined; theme: ThemeColors } = {
  snapshot: undefined,
  theme: readTheme(),
};

export function save(): void {
  host.save(state);
}
