// The classroom once joined: one connection for the tab, the header, the
// teacher's dashboard or the student's board, and the screens that replace
// them when the connection drops, the person is removed or the class ends.
//
// The connection and what it has delivered (people seen, chat messages)
// live as long as the page; the screen drawn from them is rebuilt when the
// language changes, so switching language does not reconnect.

import { connect } from 'jigsync-client';

import { createChatPanel } from './chat-panel.js';
import { openReportDialog } from './class-report.js';
import { deleteClassButton } from './delete-class.js';
import { h } from './dom.js';
import { describeError } from './errors.js';
import { onLocaleChange, t } from './i18n/index.js';
import { languageSwitch } from './language-switch.js';
import { clearSession, markEnded, saveSession } from './session.js';
import { renderStudent } from './student-view.js';
import { renderTeacher } from './teacher-dashboard.js';
import { brand, confirmDialog, dot, fullScreenMessage, toast } from './widgets.js';

const CONNECTION_KEYS = {
  connecting: 'connection.connecting',
  open: 'connection.open',
  reconnecting: 'connection.reconnecting',
  closed: 'connection.closed',
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

  // The chat as delivered, oldest first, so a redraw shows it again.
  const log = { messages: [], earlier: false };

  let everOpen = false;
  /** The screen that replaced the classroom (a function giving its texts), once it ended. */
  let endScreen = null;
  /** Set when this person asked to end the class, to word the end screen for them. */
  let closingMyself = false;
  let ui = null;

  const connectionOffs = [
    client.on('participants', rememberPeople),
    client.on('welcome', (welcome) => {
      if (!welcome.resumed) log.messages = [];
      log.earlier = Boolean(welcome.truncated && !welcome.resumed);
      if (!endScreen && session.roomName !== welcome.roomName) {
        session.roomName = welcome.roomName;
        saveSession(session);
      }
    }),
    client.on('message', (m) => {
      if (!log.messages.some((seen) => seen.seq === m.seq)) log.messages.push(m);
    }),
    client.on('connectionState', (state) => {
      if (state === 'open') everOpen = true;
    }),
    client.on('kicked', () =>
      end(() => ({ testid: 'removed-screen', icon: '🚪', title: t('screen.removed.title'), body: t('screen.removed.body') })),
    ),
    client.on('roomClosed', () => {
      // A teacher is told what ending the class did, not thanked for puzzling.
      const teacher = session.role === 'teacher';
      const key = closingMyself ? 'screen.closedByMe' : teacher ? 'screen.closedForTeacher' : 'screen.closed';
      // The class's report stays readable for its teachers once it has ended.
      const report = teacher
        ? { testid: 'open-report', label: t('report.open'), onClick: () => openReportDialog({ roomId: session.roomId, token: session.token }) }
        : undefined;
      // Only the owner ends a class, and may then delete it.
      const after = () => (closingMyself ? deleteClassButton({ roomId: session.roomId, token: session.token, onDeleted: showDeleted }) : null);
      end(() => ({ testid: 'room-closed', icon: '🏁', title: t(`${key}.title`), body: t(`${key}.body`), extra: report, after: after() }), {
        dataset: { audience: teacher ? 'teacher' : 'student' },
        forget: !teacher,
      });
      if (teacher) markEnded(session);
    }),
  ];
  client.ready.catch((err) => {
    if (endScreen) return;
    end(() => ({
      testid: 'session-ended',
      icon: '🔑',
      title: t('screen.unavailable.title'),
      body: describeError(err, {
        not_found: t('screen.unavailable.notFound'),
        forbidden: t('screen.unavailable.forbidden'),
        unauthorized: t('screen.unavailable.unauthorized'),
      }),
    }));
  });

  function showDeleted() {
    endScreen = () => ({ testid: 'class-deleted', icon: '🗑️', title: t('screen.deleted.title'), body: t('screen.deleted.body') });
    draw();
  }

  /** `forget`: the class cannot be continued (removed, closed, left), so drop it from the recent list. */
  function end(screen, { forget = true, dataset } = {}) {
    if (endScreen) return;
    endScreen = () => ({ ...screen(), dataset });
    clearSession({ forget });
    for (const off of connectionOffs) off();
    client.close();
    draw();
  }

  function draw() {
    ui?.destroy();
    ui = null;
    root.replaceChildren();
    if (endScreen) {
      const screen = endScreen();
      const message = fullScreenMessage({ ...screen, action: { label: t('room.backToStart'), onClick: onExit } });
      Object.assign(message.dataset, screen.dataset ?? {});
      root.append(h('div', { class: 'room-page ended' }, h('header', { class: 'app-header' }, brand(), h('div', { class: 'header-right' }, languageSwitch())), message));
      return;
    }
    ui = drawClassroom();
  }

  function drawClassroom() {
    const offs = [];
    // -- Header -------------------------------------------------------------
    const roomTitle = h('h1', { class: 'room-title', testid: 'room-title' }, session.roomName || t('room.untitled'));
    const statusPill = h('span', { class: 'status-pill', testid: 'connection-state', role: 'status' });
    const meChip = h('span', { class: 'me-chip' }, dot('#94a3b8'), h('span', { class: 'me-name' }, session.name));
    const headerActions = h('div', { class: 'header-actions' });
    const headerCenter = h('div', { class: 'header-center' });
    const header = h(
      'header',
      { class: 'app-header' },
      brand(),
      roomTitle,
      headerCenter,
      h('div', { class: 'header-right' }, statusPill, meChip, languageSwitch(), headerActions),
    );

    const bannerText = h('span', null, t('room.banner.reconnecting'));
    const banner = h(
      'div',
      { class: 'connection-banner', testid: 'connection-banner', role: 'status', hidden: true },
      h('span', { class: 'spinner', 'aria-hidden': 'true' }),
      bannerText,
    );
    const main = h('main', { class: 'room-main' });
    root.append(h('div', { class: `room-page role-${session.role}` }, header, banner, main));

    const showState = (state) => {
      statusPill.textContent = t(CONNECTION_KEYS[state] ?? 'connection.closed');
      statusPill.className = `status-pill ${state}`;
      statusPill.dataset.state = state;
      banner.hidden = !everOpen || state === 'open';
      bannerText.textContent = state === 'closed' ? t('room.banner.offline') : t('room.banner.reconnecting');
    };
    showState(client.connectionState);
    offs.push(client.on('connectionState', showState));

    const showWelcome = () => {
      const me = client.me;
      if (!me) return;
      roomTitle.textContent = session.roomName || t('room.untitled');
      document.title = t('room.pageTitle', { room: session.roomName || t('room.untitled') });
      meChip.replaceChildren(dot(me.color), h('span', { class: 'me-name' }, me.name));
    };
    showWelcome();
    offs.push(client.on('welcome', showWelcome));
    // A teacher changed my name: the header says it, and this browser remembers it.
    offs.push(
      client.on('presence', (e) => {
        if (e.event !== 'rename' || e.participant.id !== client.me?.id) return;
        session.name = e.participant.name;
        saveSession(session);
        showWelcome();
      }),
    );

    // -- Leaving --------------------------------------------------------------
    async function leave() {
      const ok = await confirmDialog({
        title: t('room.leave.title'),
        body: session.role === 'teacher' ? t('room.leave.bodyTeacher') : t('room.leave.bodyStudent'),
        confirm: t('room.leave'),
      });
      if (!ok) return;
      try {
        await client.leave();
      } catch (err) {
        toast(describeError(err), 'error');
      }
      end(() => ({ testid: 'left-screen', icon: '👋', title: t('screen.left.title'), body: t('screen.left.body') }));
    }

    async function closeClass() {
      const ok = await confirmDialog({
        title: t('room.end.title'),
        body: t('room.end.body'),
        confirm: t('room.end'),
        danger: true,
      });
      if (!ok) return;
      closingMyself = true;
      client.closeRoom().catch((err) => {
        closingMyself = false;
        toast(describeError(err), 'error');
      });
    }

    const leaveButton = h('button', { class: 'button subtle', testid: 'leave-class', onclick: leave }, t('room.leave'));
    const endButton = h('button', { class: 'button subtle danger', testid: 'end-class', onclick: closeClass, hidden: true }, t('room.end'));
    headerActions.append(endButton, leaveButton);
    const showOwnerActions = () => {
      endButton.hidden = !client.me || client.owner !== client.me.id;
    };
    showOwnerActions();
    offs.push(client.on('welcome', showOwnerActions), client.on('owner', showOwnerActions));

    // -- The role's view ------------------------------------------------------
    const chat = createChatPanel({ client, person, log });
    const context = { client, session, person, chat, headerCenter };
    const view = session.role === 'teacher' ? renderTeacher(main, context) : renderStudent(main, context);

    return {
      destroy() {
        for (const off of offs) off();
        view?.destroy?.();
        chat.destroy();
      },
    };
  }

  draw();
  const offLocale = onLocaleChange(draw);

  return () => {
    offLocale();
    ui?.destroy();
    ui = null;
    if (!endScreen) {
      for (const off of connectionOffs) off();
      client.close();
    }
  };
}
