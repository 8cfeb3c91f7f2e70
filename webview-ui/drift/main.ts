import './style.css';
import { assertNever } from '../../src/protocol/common';
import type { DriftToWebview } from '../../src/protocol/drift';
import { el } from '../shared/dom';
import { onThemeChange, readTheme } from '../shared/theme';
import { mountPage, refreshButton, saveButton, status, table } from './page';
import { render, select } from './render';
import { host, state, view } from './state';

mountPage();

refreshButton.addEventListener('click', () => host.post({ type: 'refresh' }));
saveButton.addEventListener('click', () => host.post({ type: 'saveReport' }));

/** Arrow keys, Home and End move the selected row; Enter and Space select the focused one. */
table.addEventListener('keydown', (e: KeyboardEvent) => {
  const row = (e.target as HTMLElement).closest('tbody tr') as HTMLTableRowElement | null;
  if (!row) return;
  const rows = [...table.querySelectorAll<HTMLTableRowElement>('tbody tr')];
  const i = rows.indexOf(row);
  const to =
    e.key === 'ArrowDown'
      ? rows[i + 1]
      : e.key === 'ArrowUp'
        ? rows[i - 1]
        : e.key === 'Home'
          ? rows[0]
          : e.key === 'End'
            ? rows[rows.length - 1]
            : undefined;
  if (to) {
    e.preventDefault();
    select(to.dataset.column!, true);
  } else if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    select(row.dataset.column!, true);
  }
});

function receive(m: DriftToWebview): void {
  switch (m.type) {
    case 'snapshot':
      view.snapshot = m.snapshot;
      state.source = m.snapshot.source;
      status.replaceChildren();
      render();
      break;
    case 'progress':
      status.replaceChildren(el('span', { class: 'spinner', 'aria-hidden': 'true' }), ` ${m.text}`);
      break;
    case 'error':
      status.replaceChildren(el('span', { class: 'error', text: m.text }));
      break;
    case 'notice':
      status.replaceChildren(el('span', { text: m.text }));
      break;
    default:
      assertNever(m, 'message');
  }
}

onThemeChange(() => {
  view.theme = readTheme();
  render();
});

host.start(receive, { type: 'ready' });
