// The classroom once joined: one connection for the tab, the header, the
// teacher's dashboard or the student's board, and the screens that replace
// them when the connection drops, the person is removed or the class ends.

import { connect } from 'jigsync-client';

import { createChatPanel } from './chat-panel.js';
import { h } from './dom.js';
import { describeError } from './errors.js';
import { clearSession, saveSession } from './session.js';
import { renderStudent } from './student-view.js';
import { renderTeacher } from './teacher-dashboard.js';
import { brand, confirmDialog, dot, fullScreenMessage, toast } from './widgets.js';

const CONNECTION_TEXT = {
  connecting: 'Connecting…',
  open: 'Live',
  reconnecting: 'Reconnecting…',
  closed: 'Offline',
};

export function renderRoom(root, session, { onExit }) {
  const client = connect(location.origin, { token: session.token, roomId: session.roomId });

  // Names and colours of everyone seen in this session, so messages from
  // people who have since left still show who wrote them.
  const people = new Map();
  const rememberPeople = (list) => {
    for (const p of list) people.set(p.id, { name: p.name, color: p.color, role: p.role });
  };
  const person = (id) => (id ? people.get(id) : undefined);
  client.on('participants', rememberPeople);

  // -- Header ---------------------------------------------------------------
  const roomTitle = h('span', { class: 'room-title' }, session.roomName || 'Classroom');
  const statusPill = h('span', { class: 'status-pill connecting', testid: 'connection-state' }, CONNECTION_TEXT.connecting);
  const meChip = h('span', { class: 'me-chip' }, dot('#94a3b8'), h('span', null, session.name));
  const headerActions = h('div', { class: 'header-actions' });
  const headerCenter = h('div', { class: 'header-center' });
  const header = h('header', { class: 'app-header' }, brand(), roomTitle, headerCenter, h('div', { class: 'header-right' }, statusPill, meChip, headerActions));

  const banner = h(
    'div',
    { class: 'connection-banner', testid: 'connection-banner', role: 'status', hidden: true },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }),
    h('span', null, 'Reconnecting… your work is kept and will sync when you are back.'),
  );
  const main = h('main', { class: 'room-main' });
  const page = h('div', { class: `room-page role-${session.role}` }, header, banner, main);
  root.append(page);

  let everOpen = false;
  let ended = false;
  const offState = client.on('connectionState', (state) => {
    statusPill.textContent = CONNECTION_TEXT[state] ?? state;
    statusPill.className = `status-pill ${state}`;
    if (state === 'open') everOpen = true;
    banner.hidden = ended || !everOpen || state === 'open';
    if (state === 'closed' && everOpen && !ended) {
      banner.querySelector('span:last-child').textContent = 'You are offline. Reload the page to try again.';
    }
  });

  client.on('welcome', (welcome) => {
    if (!ended && session.roomName !== welcome.roomName) {
      session.roomName = welcome.roomName;
      saveSession(session);
    }
    roomTitle.textContent = welcome.roomName;
    document.title = `${welcome.roomName} · Jigsync`;
    meChip.replaceChildren(dot(welcome.me.color), h('span', null, welcome.me.name));
  });

  /** `forget`: the class cannot be continued (removed, closed, left), so drop it from the recent list. */
  function end(screen, { forget = true } = {}) {
    if (ended) return;
    ended = true;
    banner.hidden = true;
    clearSession({ forget });
    teardown();
    page.replaceChildren(
      h('header', { class: 'app-header' }, brand()),
      fullScreenMessage({ ...screen, action: { label: 'Back to start', onClick: onExit } }),
    );
  }

  client.on('kicked', () =>
    end({
      testid: 'removed-screen',
      icon: '🚪',
      title: 'You were removed from this class',
      body: 'Your teacher removed you from the class. If this was a mistake, ask them for the code and join again.',
    }),
  );
  client.on('roomClosed', () =>
    end({
      testid: 'room-closed',
      icon: '🏁',
      title: 'This class has ended',
      body: 'Thanks for puzzling! Your teacher closed the class.',
    }),
  );
  client.ready.catch((err) => {
    if (ended) return;
    end({
      testid: 'session-ended',
      icon: '🔑',
      title: 'This class is no longer available',
      body: describeError(err, {
        not_found: 'The class was closed, or the link is out of date.',
        forbidden: 'You were removed from this class.',
        unauthorized: 'Your session is no longer valid. Join again with the class code.',
      }),
    });
  });

  // -- Leaving --------------------------------------------------------------
  async function leave() {
    const ok = await confirmDialog({
      title: 'Leave this class?',
      body: session.role === 'teacher' ? 'The class keeps running for your students.' : 'You can join again with the code.',
      confirm: 'Leave',
    });
    if (!ok) return;
    try {
      await client.leave();
    } catch (err) {
      toast(describeError(err), 'error');
    }
    end({ testid: 'left-screen', icon: '👋', title: 'You left the class', body: 'See you next time.' });
  }

  async function closeClass() {
    const ok = await confirmDialog({
      title: 'End the class for everyone?',
      body: 'Everyone is disconnected and the code stops working. This cannot be undone.',
      confirm: 'End class',
      danger: true,
    });
    if (!ok) return;
    client.closeRoom().catch((err) => toast(describeError(err), 'error'));
  }

  const leaveButton = h('button', { class: 'button subtle', onclick: leave }, 'Leave');
  const endButton = h('button', { class: 'button subtle danger', testid: 'end-class', onclick: closeClass, hidden: true }, 'End class');
  headerActions.append(endButton, leaveButton);
  const showOwnerActions = () => {
    endButton.hidden = client.owner !== client.me?.id;
  };
  client.on('welcome', showOwnerActions);
  client.on('owner', showOwnerActions);

  // -- The role's view --------------------------------------------------------
  const chat = createChatPanel({ client, person });
  const context = { client, session, person, chat, headerCenter };
  const view = session.role === 'teacher' ? renderTeacher(main, context) : renderStudent(main, context);

  function teardown() {
    offState();
    view?.destroy?.();
    chat.destroy();
    client.close();
  }

  return () => {
    if (!ended) teardown();
  };
}
