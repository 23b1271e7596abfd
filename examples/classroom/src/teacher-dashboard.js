// The teacher's dashboard: every student's board as a live thumbnail, one
// board focused full size, the class controls (start, lock, spotlight,
// reset, remove), the chat, and a projector view for the big screen.

import { createBoardView } from './board-view.js';
import { h, replaceChildren } from './dom.js';
import { describeError } from './errors.js';
import { shareLink, spacedCode } from './session.js';
import { removeParticipant } from './moderation.js';
import { openStartPuzzleDialog } from './start-puzzle-dialog.js';
import { confirmDialog, dot, progressBar, toast } from './widgets.js';

export function renderTeacher(main, { client, session, person, chat, headerCenter }) {
  const code = session.joinCode ?? '';
  const link = code ? shareLink(code) : location.origin;
  const fail = (err) => toast(describeError(err), 'error');

  // -- Join code in the header ---------------------------------------------
  const copyButton = h('button', { class: 'button subtle small', onclick: () => copyLink() }, 'Copy link');
  headerCenter.append(
    h(
      'div',
      { class: 'join-chip', title: 'Students join with this code' },
      h('span', { class: 'join-label' }, 'Class code'),
      h('span', { class: 'join-code', testid: 'room-code', 'aria-label': `Class code ${spacedCode(code)}` }, code),
      h('a', { class: 'share-link', testid: 'share-link', href: link, target: '_blank', rel: 'noopener' }, link.replace(/^https?:\/\//, '')),
      copyButton,
    ),
  );
  async function copyLink() {
    try {
      await navigator.clipboard.writeText(link);
      toast('Link copied. Paste it where your students can open it.', 'success');
    } catch {
      toast(`Share this link: ${link}`);
    }
  }

  // -- Toolbar --------------------------------------------------------------
  const summary = h('span', { class: 'summary muted' });
  const lockAll = h('button', { class: 'button', testid: 'lock-all', onclick: toggleLockAll, disabled: true }, '⏸ Pause all');
  const endSpotlight = h(
    'button',
    { class: 'button', testid: 'end-spotlight', hidden: true, onclick: () => client.spotlight(null).catch(fail) },
    '📽 End spotlight',
  );
  const toolbar = h(
    'div',
    { class: 'dashboard-toolbar' },
    h('button', { class: 'button primary', testid: 'open-start-puzzle', onclick: startPuzzle }, '🧩 Start a puzzle'),
    lockAll,
    endSpotlight,
    h('button', { class: 'button', testid: 'open-projector', onclick: openProjector }, '🖥 Projector view'),
    summary,
  );

  const grid = h('div', { class: 'thumb-grid', testid: 'thumbnail-grid' });
  const empty = h('div', { class: 'empty-state dashboard-empty' });
  const gridView = h('div', { class: 'grid-view' }, grid, empty);
  const focusView = h('div', { class: 'focus-view', hidden: true });
  const boardsArea = h('section', { class: 'dashboard-boards card' }, toolbar, gridView, focusView);
  main.append(h('div', { class: 'teacher-layout' }, boardsArea, chat.el));

  function startPuzzle() {
    openStartPuzzleDialog({
      client,
      running: client.boards.length > 0,
      onStarted: (started) => toast(`Puzzle started on ${started.boards.length} board${started.boards.length === 1 ? '' : 's'}.`, 'success'),
    });
  }

  function allLocked() {
    const boards = client.boards;
    return boards.length > 0 && boards.every((b) => b.locked);
  }

  function toggleLockAll() {
    const lock = !allLocked();
    client.lock(null, lock).then(() => toast(lock ? 'Puzzles paused for everyone.' : 'Puzzles resumed.'), fail);
  }

  // -- Names ----------------------------------------------------------------
  function boardOwners(info) {
    if (info.mode === 'shared') return { name: 'Whole class', color: '#2f5bea', online: client.participants.some((p) => p.online && p.role === 'student') };
    const people = info.members.map((id) => ({ id, ...(person(id) ?? { name: 'Former student', color: '#94a3b8' }) }));
    const online = info.members.some((id) => client.participantsById.get(id)?.online);
    return { name: people.map((p) => p.name).join(', '), color: people[0].color, online };
  }

  /** Every board's info, in alphabetical order of whose board it is (how a teacher scans a class list). */
  function boardInfos() {
    return client.boards
      .map((b) => b.info)
      .filter(Boolean)
      .map((info) => ({ info, name: boardOwners(info).name }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.info.boardId - b.info.boardId)
      .map(({ info }) => info);
  }

  // -- Thumbnails -----------------------------------------------------------
  /** boardId -> the thumbnail's parts */
  const thumbs = new Map();

  function thumbnail(info) {
    const view = createBoardView({ client, boardId: info.boardId });
    const progress = progressBar({ compact: true, label: 'Board progress' });
    const colorDot = dot('#94a3b8');
    const name = h('span', { class: 'thumb-name', testid: 'thumb-name' });
    const online = h('span', { class: 'presence', testid: 'online-dot' });
    const badges = h('span', { class: 'thumb-badges' });
    const card = h(
      'button',
      {
        class: 'thumb',
        testid: 'thumbnail',
        dataset: { board: String(info.boardId) },
        onclick: () => focus(info.boardId),
      },
      h('span', { class: 'thumb-board' }, view.el),
      h('span', { class: 'thumb-meta' }, colorDot, name, online, badges),
      progress.el,
    );
    if (info.mode === 'individual' && info.members.length === 1) card.dataset.student = info.members[0];
    return { card, view, progress, colorDot, name, online, badges };
  }

  function updateThumb(t, info) {
    const owners = boardOwners(info);
    t.name.textContent = owners.name;
    t.colorDot.style.background = owners.color;
    t.online.className = owners.online ? 'presence online' : 'presence';
    t.online.dataset.online = String(owners.online);
    t.online.title = owners.online ? 'Online' : 'Offline';
    t.progress.set(info.progress);
    const spot = client.currentSpotlight?.board === info.boardId;
    replaceChildren(
      t.badges,
      info.locked ? h('span', { class: 'tag', title: 'Paused' }, '⏸') : null,
      spot ? h('span', { class: 'tag accent', title: 'On the big screen' }, '📽') : null,
      info.done ? h('span', { class: 'tag success', title: 'Solved' }, '✓ solved') : null,
    );
    t.card.classList.toggle('done', info.done);
    t.card.classList.toggle('spotlit', spot);
    t.card.setAttribute('aria-label', `${owners.name}: ${Math.round(info.progress * 100)}% done. Open full size.`);
  }

  function renderGrid() {
    const infos = boardInfos();
    const ids = new Set(infos.map((i) => i.boardId));
    for (const [id, t] of thumbs) {
      if (ids.has(id)) continue;
      t.view.destroy();
      t.card.remove();
      thumbs.delete(id);
    }
    infos.forEach((info) => {
      let t = thumbs.get(info.boardId);
      if (!t) {
        t = thumbnail(info);
        thumbs.set(info.boardId, t);
      }
      updateThumb(t, info);
    });
    // Keep the cards in board order (students in the order they joined).
    grid.append(...infos.map((i) => thumbs.get(i.boardId).card));

    const solved = infos.filter((i) => i.done).length;
    summary.textContent = infos.length ? `${solved} of ${infos.length} solved` : '';
    lockAll.disabled = infos.length === 0;
    const locked = allLocked();
    lockAll.dataset.locked = String(locked);
    lockAll.textContent = locked ? '▶ Resume all' : '⏸ Pause all';
    endSpotlight.hidden = !client.currentSpotlight;
    renderEmpty(infos);
  }

  function renderEmpty(infos) {
    empty.hidden = infos.length > 0;
    if (!empty.hidden) {
      const students = client.participants.filter((p) => p.role === 'student').length;
      replaceChildren(
        empty,
        h('p', { class: 'muted' }, 'Students join at'),
        h('p', { class: 'big-link' }, location.host),
        h('p', { class: 'big-code' }, spacedCode(code)),
        h(
          'p',
          { class: 'muted' },
          students === 0 ? 'Nobody has joined yet.' : `${students} student${students === 1 ? ' has' : 's have'} joined.`,
          ' When you are ready, ',
          h('button', { class: 'link-button', onclick: startPuzzle }, 'start a puzzle'),
          '.',
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
      onRefused: (code) => toast(describeError({ code })),
    });
    const title = h('h2', { class: 'focus-title' });
    const progress = progressBar({ label: 'Board progress' });
    const lock = h('button', { class: 'button', testid: 'lock-board', onclick: () => toggleLock(boardId) });
    const hideNames = h('input', { type: 'checkbox', testid: 'hide-names', id: 'hide-names' });
    const spotlight = h('button', { class: 'button', testid: 'spotlight', onclick: () => toggleSpotlight(boardId, hideNames.checked) });
    const reset = h('button', { class: 'button', testid: 'reset-board', onclick: () => resetBoard(boardId) }, '↺ Reset');
    const kick = h('button', { class: 'button danger', testid: 'kick-board-owner', hidden: true, onclick: () => removeOwner(boardId) }, 'Remove student');
    const stage = h('div', { class: 'focus-stage', testid: 'focused-board', dataset: { board: String(boardId) } }, view.el, view.controls);
    replaceChildren(
      focusView,
      h(
        'div',
        { class: 'focus-header' },
        h('button', { class: 'button subtle', testid: 'close-focus', onclick: () => closeFocus(true) }, '← All boards'),
        title,
        progress.el,
      ),
      h(
        'div',
        { class: 'focus-controls' },
        lock,
        spotlight,
        h('label', { class: 'checkbox', for: 'hide-names' }, hideNames, 'Hide names'),
        reset,
        kick,
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
    if (!info) {
      closeFocus(true);
      return;
    }
    const owners = boardOwners(info);
    replaceChildren(focused.title, dot(owners.color), ' ', owners.name, info.done ? h('span', { class: 'tag success' }, '✓ solved') : null);
    focused.progress.set(info.progress);
    focused.lock.textContent = info.locked ? '▶ Resume' : '⏸ Pause';
    focused.lock.dataset.locked = String(info.locked);
    const spot = client.currentSpotlight?.board === info.boardId;
    focused.spotlight.textContent = spot ? '📽 End spotlight' : '📽 Show to class';
    focused.spotlight.dataset.active = String(spot);
    focused.kick.hidden = !(info.mode === 'individual' && info.members.length === 1 && client.participantsById.has(info.members[0]));
  }

  function closeFocus(tellServer) {
    if (!focused) return;
    focused.view.destroy();
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
      () => toast(active ? 'Spotlight ended.' : 'This board is now on every screen.', 'success'),
      fail,
    );
  }

  async function resetBoard(boardId) {
    const ok = await confirmDialog({ title: 'Reset this board?', body: 'All pieces are scattered again. Progress starts from zero.', confirm: 'Reset', danger: true });
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
      { class: 'projector', testid: 'projector', role: 'dialog', 'aria-label': 'Projector view' },
      h(
        'div',
        { class: 'projector-bar' },
        h('div', { class: 'projector-join' }, h('span', null, 'Join at ', h('strong', null, location.host), ' with code'), h('span', { class: 'projector-code' }, spacedCode(code))),
        h('button', { class: 'button', testid: 'close-projector', onclick: closeProjector }, 'Exit projector view'),
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
    const key = spot ? `spot:${spot.board}:${spot.hideNames}` : 'class';
    if (key !== projector.key) {
      projector.key = key;
      projector.view?.destroy();
      projector.view = null;
      projector.content.replaceChildren();
      if (spot && client.board(spot.board)) {
        projector.view = createBoardView({ client, boardId: spot.board });
        projector.content.append(h('h2', { class: 'projector-title' }), h('div', { class: 'projector-board' }, projector.view.el));
      } else {
        projector.content.append(h('h2', { class: 'projector-title' }), h('div', { class: 'projector-progress' }));
      }
    }
    const title = projector.content.querySelector('.projector-title');
    if (spot && projector.view) {
      const info = client.board(spot.board)?.info;
      title.textContent = info && !spot.hideNames ? `${boardOwners(info).name}'s board` : 'A board from the class';
    } else {
      const solved = infos.filter((i) => i.done).length;
      title.textContent = infos.length ? `${solved} of ${infos.length} boards solved` : 'Waiting for everyone to join…';
      replaceChildren(
        projector.content.querySelector('.projector-progress'),
        infos.map((info) => {
          const bar = progressBar({ compact: true });
          bar.set(info.progress);
          return h('div', { class: 'projector-row' }, h('span', null, boardOwners(info).name), bar.el);
        }),
      );
    }
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
  ];
  refresh();

  return {
    destroy() {
      for (const off of offs) off();
      closeFocus(false);
      closeProjector();
      for (const t of thumbs.values()) t.view.destroy();
    },
  };
}
