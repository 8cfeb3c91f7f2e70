import type {
  EvaluationFromWebview,
  EvaluationSnapshot,
  EvaluationToWebview,
  EvaluationViewState,
} from '../../src/protocol/evaluation';
import { connectHost } from '../shared/host';
import { readTheme } from '../shared/theme';
import type { ThemeColors } from '../shared/theme';

export const host = connectHost<EvaluationViewState, EvaluationToWebview, EvaluationFromWebview>(
  'evaluation',
  { snapshot: true, empty: true },
);

/** What the view keeps across reloads (setState). */
export const state: EvaluationViewState = {
  ref: host.saved?.ref ?? '',
  normalized: host.saved?.normalized ?? false,
};

/** The last snapshot from the host and the current theme. */
export const view: { snapshot: EvaluationSnapshot | undefined; theme: ThemeColors } = {
  snapshot: undefined,
  theme: readTheme(),
};

export function save(): void {
  host.save(state);
}
