import './style.css';
import { assertNever } from '../../src/protocol/common';
import type { EvaluationToWebview } from '../../src/protocol/evaluation';
import { onThemeChange, readTheme } from '../shared/theme';
import { mountPage } from './page';
import { render, renderEmpty } from './render';
import { host, save, state, view } from './state';

mountPage();

onThemeChange(() => {
  view.theme = readTheme();
  if (view.snapshot) render();
});

function receive(m: EvaluationToWebview): void {
  switch (m.type) {
    case 'snapshot':
      view.snapshot = m.snapshot;
      state.ref = m.snapshot.run.ref;
      save();
      render();
      break;
    case 'empty':
      renderEmpty(m.text);
      break;
    default:
      assertNever(m, 'message');
  }
}

host.start(receive, { type: 'ready' });
