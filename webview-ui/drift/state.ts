import type {
  DriftFromWebview,
  DriftSnapshot,
  DriftToWebview,
  DriftViewState,
} from '../../src/protocol/drift';
import { connectHost } from '../shared/host';
import { readTheme } from '../shared/theme';
import type { ThemeColors } from '../shared/theme';

export const host = connectHost<DriftViewState, DriftToWebview, DriftFromWebview>('drift', {
  snapshot: true,
  progress: true,
  error: true,
  notice: true,
});

/** What the view keeps across reloads (setState). */
export const state: DriftViewState = {
  source: host.saved?.source ?? null,
  selected: host.saved?.selected ?? null,
  sort: host.saved?.sort ?? { key: 'drifted', descending: true },
};

/** The last snapshot from the host and the current theme. */
export const view: { snapshot: DriftSnapshot | undefined; theme: ThemeColors } = {
  snapshot: undefined,
  theme: readTheme(),
};

export function save(): void {
  host.save(state);
}
