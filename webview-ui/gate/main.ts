import './style.css';
import { assertNever } from '../../src/protocol/common';
import type { GateToWebview } from '../../src/protocol/gate';
import { el } from '../shared/dom';
import { onThemeChange, readTheme } from '../shared/theme';
import { mountPage, page } from './page';
import { render } from './render';
import { host, state, view } from './state';

mountPage();

page.copyButton.addEventListener('click', () => host.post({ type: 'copyMarkdown' }));
page.baselineButton.addEventListener('click', () => host.post({ type: 'pickBaseline' }));
page.evaluateButton.addEventListener('click', () => host.post({ type: 'evaluateCandidate' }));

onThemeChange(() => {
  view.theme = readTheme();
  if (view.snapshot) render();
});

function receive(m: GateToWebview): void {
  switch (m.type) {
    case 'snapshot':
      view.snapshot = m.snapshot;
      state.candidateRef = m.snapshot.candidate.ref;
      state.baselineRef = m.snapshot.baseline.ref;
      host.save(state);
      render();
      break;
    case 'notice':
      page.notices.replaceChildren(el('div', { text: m.text }));
      break;
    default:
      assertNever(m, 'message');
  }
}

host.start(receive, { type: 'ready' });
