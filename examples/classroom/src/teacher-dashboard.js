// The teacher's dashboard: every student's board as a live thumbnail, one
// board focused full size, the class controls (start, lock, spotlight,
// reset, remove), the chat, and a projector view for the big screen.

import { createBoardView } from './board-view.js';
import { openReportDialog } from './class-report.js';
import { h, replaceChildren } from './dom.js';
import { describeError, describeRefusedDrag } from './errors.js';
import { locale, t, tParts } from './i18n/index.js';
import { shareLink, spacedCode } from './session.js';
import { removeParticipant } from './moderation.js';
import { openStartPuzzleDialog } from './start-puzzle-dialog.js';
import { openReplayPanel } from './replay-panel.js';
import { createGridControls } from './dashboard-order.js';
import { confirmDialog, dot, presenceDot, progressBar, toast } from './widgets.js';

let nextThumbId = 1;

export function renderTeacher(main, { client, session, person, chat, headerCenter }) {
  const code = session.joinCode ?? '';
  const link = code ? shareLink(code) : location.origin;
  const fail = (err) => toast(describeError(err), 'error');

  // -- Join code in the header ---------------------------------------------
  // Said next to the code while it lets nobody new in, so a teacher who
  // reads the code out knows why a student cannot join.
  const joiningTag = h('span', { class: 'tag warning', testid: 'joining-locked', hidden: true }, t('teacher.joiningLockedTag'));
  const copyButton = h('button', { class: 'button subtle small', onclick: () => copyLink() }, t('teacher.copyLink'));
  headerCenter.append(
    h(
      'div',
      { class: 'join-chip', title: t('teacher.codeTitle') },
      h('span', { class: 'join-label', 'aria-hidden': 'true' }, t('teacher.codeLabel')),
      h('span', { class: 'visually-hidden' }, t('teacher.codeAria', { code: spacedCode(code) })),
      h('span', { class: 'join-code', testid: 'room-code', 'aria-hidden': 'true' }, code),
      h('a', { class: 'share-link', testid: 'share-link', href: link, target: '_blank', rel: 'noopener' }, link.replace(/^https?:\/\//, '')),
      copyButton,
      joiningTag,
    ),
  );
  async function copyLink() {
    try {
      await navigator.clipboard.writeText(link);
      toast(t('teacher.linkCopied'), 'success');
    } catch {
      toast(t('teacher.shareThis', { link }));
    }
  }

  // -- Toolbar --------------------------------------------------------------
  const summary = h('span', { class: 'summary muted', testid: 'solved-summary' });
  const lockAll = h('button', { class: 'button', testid: 'lock-all', onclick: toggleLockAll, disabled: true }, t('teacher.pauseAll'));
  const lockJoining = h('button', { class: 'button', testid: 'lock-joining', onclick: toggleJoining });
  const endSpotlight = h(
    'button',
    { class: 'button', testid: 'end-spotlight', hidden: true, onclick: () => client.spotlight(null).catch(fail) },
    t('teacher.endSpotlight'),
  );
  const toolbar = h(
    'div',
    { class: 'dashboard-toolbar' },
    h('button', { class: 'button primary', testid: 'open-start-puzzle', onclick: startPuzzle }, t('teacher.startPuzzle')),
    lockAll,
    lockJoining,
    endSpotlight,
    h('button', { class: 'button', testid: 'open-projector', onclick: openProjector }, t('teacher.projector')),
    h(
      'button',
      { class: 'button', testid: 'open-report', onclick: () => openReportDialog({ roomId: client.roomId, token: session.token }) },
      t('report.open'),
    ),
    summary,
  );
  // How the grid is ordered and how dense it is, for a class of 30 on a small screen.
  const gridControls = createGridControls({ onChange: () => applyGridControls() });
  toolbar.append(gridControls.el);

  const grid = h('div', { class: 'thumb-grid', testid: 'thumbnail-grid' });
  const empty = h('div', { class: 'empty-state dashboard-empty' });
  // What clicking a thumbnail does, said once for all of them (outside the
  // cards, whose accessible name must be exactly their visible text).
  const thumbHint = h('span', { id: 'thumb-hint', hidden: true }, t('teacher.openHint'));
  const gridView = h('div', { class: 'grid-view' }, grid, empty, thumbHint);
  const focusView = h('div', { class: 'focus-view', hidden: true });
  const boardsArea = h(
    'section',
    { class: 'dashboard-boards card', 'aria-labelledby': 'boards-heading' },
    h('h2', { class: 'visually-hidden', id: 'boards-heading' }, t('teacher.boards')),
    toolbar,
    gridView,
    focusView,
  );
  main.append(h('div', { class: 'teacher-layout' }, boardsArea, chat.el));

  function startPuzzle() {
    openStartPuzzleDialog({
      client,
      running: client.boards.length > 0,
      onStarted: (started) => toast(t('teacher.started', { count: started.boards.length }), 'success'),
    });
  }

  function allLocked() {
    const boards = client.boards;
    return boards.length > 0 && boards.every((b) => b.locked);
  }

  function toggleLockAll() {
    const lock = !allLocked();
    client.lock(null, lock).then(() => toast(lock ? t('teacher.pausedAll') : t('teacher.resumedAll')), fail);
  }

  // -- Names ----------------------------------------------------------------
  function boardOwners(info) {
    if (info.mode === 'shared') {
      return { name: t('teacher.wholeClass'), color: '#2f5bea', online: client.participants.some((p) => p.online && p.role === 'student') };
    }
    const people = info.members.map((id) => ({ id, ...(person(id) ?? { name: t('teacher.formerStudent'), color: '#94a3b8' }) }));
    const online = info.members.some((id) => client.participantsById.get(id)?.online);
    return { name: people.map((p) => p.name).join(', '), color: people[0].color, online };
  }

  /**
   * Whether a board belongs to someone still in the class. A student's (or a
   * group's) board whose people were all removed or left is off the
   * dashboard and out of "N of M solved"; a student who comes back brings it
   * back. The shared board is everyone's.
   */
  function inClass(info) {
    return info.mode === 'shared' || info.members.some((id) => client.participantsById.has(id));
  }

  /** The class's boards, in alphabetical order of whose board it is (how a teacher scans a class list). */
  function boardInfos() {
    return client.boards
      .map((b) => b.info)
      .filter((info) => info && inClass(info))
      .map((info) => ({ info, name: boardOwners(info).name }))
      .sort((a, b) => a.name.localeCompare(b.name, locale()) || a.info.boardId - b.info.boardId)
      .map(({ info }) => info);
  }

  /** The grid's order: boardInfos() sorted again by the chosen key (name order breaks ties). */
  function gridInfos() {
    return gridControls.sort(boardInfos(), { lastActive: (info) => lastActive.get(info.boardId) ?? 0 });
  }

  // When a piece of each board was last picked up, for "last activity".
  // The client does not keep it, so the dashboard notes it. (Board updates
  // do not count: a puzzle's start and a reset arrive as updates too.)
  const lastActive = new Map();
  const noteActivity = (boardId) => {
    if (boardId !== undefined) lastActive.set(boardId, Date.now());
  };

  function applyGridControls() {
    grid.classList.toggle('compact', gridControls.compact);
    renderGrid();
  }

  // -- Thumbnails -----------------------------------------------------------
  /** boardId -> the thumbnail's parts */
  const thumbs = new Map();

  function thumbnail(info) {
    const view = createBoardView({ client, boardId: info.boardId });
    // The card's accessible name is its visible text (name, percentage,
    // badges), so what a screen reader says matches what a sighted helper sees.
    const id = `thumb-${nextThumbId++}`;
    const progress = progressBar({ compact: true, label: t('teacher.boardProgress') });
    progress.el.querySelector('.progress-text').id = `${id}-progress`;
    const colorDot = dot('#94a3b8');
    const name = h('span', { class: 'thumb-name', testid: 'thumb-name', id: `${id}-name` });
    const online = presenceDot(false, { testid: 'online-dot' });
    const badges = h('span', { class: 'thumb-badges', id: `${id}-badges` });
    view.el.setAttribute('aria-hidden', 'true');
    const card = h(
      'button',
      {
        class: 'thumb',
        testid: 'thumbnail',
        dataset: { board: String(info.boardId) },
        'aria-labelledby': `${id}-name ${id}-badges ${id}-progress`,
        'aria-describedby': 'thumb-hint',
        onclick: () => focus(info.boardId),
      },
      h('span', { class: 'thumb-board' }, view.el),
      // Spaces between the parts, so the visible text reads as the name does.
      h('span', { class: 'thumb-meta' }, colorDot, ' ', name, ' ', online.el, ' ', badges),
      ' ',
      progress.el,
    );
    if (info.mode === 'individual' && info.members.length === 1) card.dataset.student = info.members[0];
    return { card, view, progress, colorDot, name, online, badges };
  }

  function updateThumb(thumb, info) {
    const owners = boardOwners(info);
    thumb.name.textContent = owners.name;
    thumb.colorDot.style.background = owners.color;
    thumb.online.set(owners.online);
    thumb.progress.set(info.progress);
    const spot = client.currentSpotlight?.board === info.boardId;
    replaceChildren(
      thumb.badges,
      info.locked ? iconTag('tag', '⏸', t('teacher.badgePaused')) : null,
      spot ? iconTag('tag accent', '📽', t('teacher.badgeOnScreen')) : null,
      info.done ? h('span', { class: 'tag success' }, t('teacher.solvedTag')) : null,
    );
    thumb.card.classList.toggle('done', info.done);
    thumb.card.classList.toggle('spotlit', spot);
  }

  /** A badge shown as an icon, its meaning in words for screen readers and as a tooltip. */
  function iconTag(cls, icon, label) {
    return h('span', { class: cls, title: label }, h('span', { 'aria-hidden': 'true' }, icon), h('span', { class: 'visually-hidden' }, label));
  }

  function renderGrid() {
    const infos = gridInfos();
    const ids = new Set(infos.map((i) => i.boardId));
    for (const [id, thumb] of thumbs) {
      if (ids.has(id)) continue;
      thumb.view.destroy();
      thumb.card.remove();
      thumbs.delete(id);
    }
    infos.forEach((info) => {
      let thumb = thumbs.get(info.boardId);
      if (!thumb) {
        thumb = thumbnail(info);
        thumbs.set(info.boardId, thumb);
      }
      updateThumb(thumb, info);
    });
    // The cards in the chosen order (by name unless the teacher picked another).
    grid.append(...infos.map((i) => thumbs.get(i.boardId).card));

    const solved = infos.filter((i) => i.done).length;
    summary.textContent = infos.length ? t('teacher.summary', { solved, count: infos.length }) : '';
    lockAll.disabled = infos.length === 0;
    const locked = allLocked();
    lockAll.dataset.locked = String(locked);
    lockAll.textContent = locked ? t('teacher.resumeAll') : t('teacher.pauseAll');
    endSpotlight.hidden = !client.currentSpotlight;
    renderEmpty(infos);
  }

  function renderEmpty(infos) {
    empty.hidden = infos.length > 0;
    if (!empty.hidden) {
      const students = client.participants.filter((p) => p.role === 'student').length;
      replaceChildren(
        empty,
        h('p', { class: 'muted' }, t('teacher.empty.joinAt')),
        h('p', { class: 'big-link' }, location.host),
        h('p', { class: 'big-code' }, spacedCode(code)),
        h(
          'p',
          { class: 'muted' },
          students === 0 ? t('teacher.empty.nobody') : t('teacher.empty.joined', { count: students }),
          ' ',
          tParts('teacher.empty.ready', { link: h('button', { class: 'link-button', onclick: startPuzzle }, t('teacher.empty.readyLink')) }),
        ),
      );
    }
  }

  // -- Focused board --------------------------------------------------------
  let focused = null;

  function focus(boardId) {
    closeFocus(false);
    const info = client.board(boardId)?.info;
    if (!info) return;
    client.focus(boardId).catch(fail);
    const view = createBoardView({
      client,
      boardId,
      interactive: true,
      zoomable: true,
      onRefused: (code) => toast(describeRefusedDrag(code)),
    });
    const title = h('h2', { class: 'focus-title' });
    const progress = progressBar({ label: t('teacher.boardProgress') });
    const lock = h('button', { class: 'button', testid: 'lock-board', onclick: () => toggleLock(boardId) });
    const hideNames = h('input', { type: 'checkbox', testid: 'hide-names', id: 'hide-names' });
    const spotlight = h('button', { class: 'button', testid: 'spotlight', onclick: () => toggleSpotlight(boardId, hideNames.checked) });
    const reset = h('button', { class: 'button', testid: 'reset-board', onclick: () => resetBoard(boardId) }, t('teacher.reset'));
    const kick = h('button', { class: 'button danger', testid: 'kick-board-owner', hidden: true, onclick: () => removeOwner(boardId) }, t('teacher.removeStudent'));
    const stage = h('div', { class: 'focus-stage', testid: 'focused-board', dataset: { board: String(boardId) } }, view.el, view.controls);
    const replay = h('button', { class: 'button', testid: 'replay-open', onclick: () => {
      focused.replay?.destroy();
      focused.replay = openReplayPanel({
        load: () => client.replay(boardId),
        pictureUrl: (url) => client.uploadUrl(url),
        participantsById: client.participantsById,
        boardId,
        container: focusView,
        stage,
        onClose: () => (focused.replay = null),
      });
    } }, t('replay.open'));
    replaceChildren(
      focusView,
      h(
        'div',
        { class: 'focus-header' },
        h('button', { class: 'button subtle', testid: 'close-focus', onclick: () => closeFocus(true) }, t('teacher.allBoards')),
        title,
        progress.el,
      ),
      h(
        'div',
        { class: 'focus-controls' },
        lock,
        spotlight,
        h('label', { class: 'checkbox', for: 'hide-names' }, hideNames, t('teacher.hideNames')),
        reset,
        kick,
        replay,
      ),
      stage,
    );
    focused = { boardId, view, title, progress, lock, spotlight, kick, hideNames };
    gridView.hidden = true;
    focusView.hidden = false;
    updateFocus();
  }

  function updateFocus() {
    if (!focused) return;
    const info = client.board(focused.boardId)?.info;
    if (!info || !inClass(info)) {
      closeFocus(true);
      return;
    }
    const owners = boardOwners(info);
    replaceChildren(focused.title, dot(owners.color), ' ', owners.name, info.done ? h('span', { class: 'tag success' }, t('teacher.solvedTag')) : null);
    focused.progress.set(info.progress);
    focused.lock.textContent = info.locked ? t('teacher.resume') : t('teacher.pause');
    focused.lock.dataset.locked = String(info.locked);
    const spot = client.currentSpotlight?.board === info.boardId;
    focused.spotlight.textContent = spot ? t('teacher.endSpotlight') : t('teacher.showToClass');
    focused.spotlight.dataset.active = String(spot);
    focused.kick.hidden = !(info.mode === 'individual' && info.members.length === 1 && client.participantsById.has(info.members[0]));
  }

  function closeFocus(tellServer) {
    if (!focused) return;
    focused.view.destroy();
    focused.replay?.destroy();
    focused = null;
    focusView.replaceChildren();
    focusView.hidden = true;
    gridView.hidden = false;
    if (tellServer) client.focus(null).catch(fail);
  }

  function toggleLock(boardId) {
    const info = client.board(boardId)?.info;
    if (info) client.lock(boardId, !info.locked).catch(fail);
  }

  function toggleSpotlight(boardId, hide) {
    const active = client.currentSpotlight?.board === boardId;
    client.spotlight(active ? null : boardId, hide).then(
      () => toast(active ? t('teacher.spotlightEnded') : t('teacher.spotlightOn'), 'success'),
      fail,
    );
  }

  async function resetBoard(boardId) {
    const ok = await confirmDialog({
      title: t('teacher.reset.title'),
      body: t('teacher.reset.body'),
      confirm: t('teacher.reset.confirm'),
      danger: true,
    });
    if (ok) client.reset(boardId).catch(fail);
  }

  function removeOwner(boardId) {
    const id = client.board(boardId)?.info?.members[0];
    const p = id ? client.participantsById.get(id) : null;
    if (p) removeParticipant(client, p);
  }

  // -- Projector view -------------------------------------------------------
  let projector = null;

  function openProjector() {
    const content = h('div', { class: 'projector-content' });
    const el = h(
      'div',
      { class: 'projector', testid: 'projector', role: 'dialog', 'aria-label': t('projector.label') },
      h(
        'div',
        { class: 'projector-bar' },
        h(
          'div',
          { class: 'projector-join' },
          h('span', null, tParts('projector.join', { host: h('strong', null, location.host) })),
          h('span', { class: 'projector-code' }, spacedCode(code)),
        ),
        h('button', { class: 'button', testid: 'close-projector', onclick: closeProjector }, t('projector.exit')),
      ),
      content,
    );
    document.body.append(el);
    projector = { el, content, view: null, key: null };
    document.addEventListener('keydown', onProjectorKey);
    el.requestFullscreen?.().catch(() => {});
    updateProjector();
  }

  function onProjectorKey(event) {
    if (event.key === 'Escape') closeProjector();
  }

  function closeProjector() {
    if (!projector) return;
    projector.view?.destroy();
    projector.el.remove();
    projector = null;
    document.removeEventListener('keydown', onProjectorKey);
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  }

  function updateProjector() {
    if (!projector) return;
    const spot = client.currentSpotlight;
    const infos = boardInfos();
    // Before a puzzle, the big screen is the lobby: the code above, and who has joined.
    const key = spot ? `spot:${spot.board}:${spot.hideNames}` : infos.length ? 'class' : 'lobby';
    if (key !== projector.key) {
      projector.key = key;
      projector.view?.destroy();
      projector.view = null;
      projector.content.replaceChildren();
      if (spot && client.board(spot.board)) {
        projector.view = createBoardView({ client, boardId: spot.board });
        projector.content.append(h('h2', { class: 'projector-title' }), h('div', { class: 'projector-board' }, projector.view.el));
      } else if (key === 'lobby') {
        projector.content.append(
          h('h2', { class: 'projector-title', testid: 'lobby-count', 'aria-live': 'polite' }),
          h('ul', { class: 'projector-lobby', testid: 'projector-lobby' }),
        );
      } else {
        projector.content.append(h('h2', { class: 'projector-title' }), h('div', { class: 'projector-progress' }));
      }
    }
    const title = projector.content.querySelector('.projector-title');
    if (key === 'lobby') {
      const students = client.participants.filter((p) => p.role === 'student');
      title.textContent = students.length ? t('projector.lobby.joined', { count: students.length }) : t('projector.lobby.nobody');
      replaceChildren(
        projector.content.querySelector('.projector-lobby'),
        students.map((p) =>
          h('li', { class: 'lobby-name', testid: 'lobby-name', dataset: { online: String(p.online) } }, dot(p.color), h('span', null, p.name)),
        ),
      );
    } else if (spot && projector.view) {
      const info = client.board(spot.board)?.info;
      title.textContent = info && !spot.hideNames ? t('projector.boardOf', { name: boardOwners(info).name }) : t('projector.anonymousBoard');
    } else {
      const solved = infos.filter((i) => i.done).length;
      title.textContent = infos.length ? t('projector.solved', { solved, count: infos.length }) : t('projector.waiting');
      replaceChildren(
        projector.content.querySelector('.projector-progress'),
        infos.map((info) => {
          const bar = progressBar({ compact: true, label: boardOwners(info).name });
          bar.set(info.progress);
          return h('div', { class: 'projector-row' }, h('span', null, boardOwners(info).name), bar.el);
        }),
      );
    }
  }

  // -- Joining ---------------------------------------------------------------
  function renderJoining() {
    const locked = client.joinLocked;
    joiningTag.hidden = !locked;
    lockJoining.textContent = locked ? t('teacher.unlockJoining') : t('teacher.lockJoining');
    lockJoining.dataset.locked = String(locked);
  }

  function toggleJoining() {
    const lock = !client.joinLocked;
    client.lockJoining(lock).then(() => toast(lock ? t('teacher.joiningLocked') : t('teacher.joiningOpened'), 'success'), fail);
  }

  // -- Wiring ---------------------------------------------------------------
  const refresh = () => {
    renderGrid();
    updateFocus();
    updateProjector();
  };
  const offs = [
    client.on('boards', refresh),
    client.on('progress', refresh),
    client.on('participants', refresh),
    client.on('joining', renderJoining),
    client.on('welcome', renderJoining),
    client.on('grab', (e) => noteActivity(e.board)),
  ];
  grid.classList.toggle('compact', gridControls.compact);
  refresh();
  renderJoining();

  return {
    destroy() {
      for (const off of offs) off();
      closeFocus(false);
      closeProjector();
      for (const thumb of thumbs.values()) thumb.view.destroy();
    },
  };
}
