// The student's screen: their puzzle board (or the board the teacher puts in
// the spotlight), its progress, the paused and solved states, and the chat.

import { createBoardView } from './board-view.js';
import { h } from './dom.js';
import { describeRefusedDrag } from './errors.js';
import { locale, t } from './i18n/index.js';
import { progressBar, toast } from './widgets.js';

export function renderStudent(main, { client, person, chat }) {
  const myId = () => client.me?.id;
  // A shared board lists no members (every student writes it). So does any
  // board whose names are hidden from this student: only the mode tells them apart.
  const isMember = (info) => info.mode === 'shared' || info.members.includes(myId());

  const title = h('h2', { class: 'board-title' }, t('student.yourPuzzle'));
  const tabs = h('div', { class: 'tabs', role: 'tablist', hidden: true });
  const progress = progressBar({ label: t('student.progress') });
  const reference = h('img', { class: 'reference', alt: t('student.reference'), hidden: true });
  const spotlightBanner = h('div', { class: 'spotlight-banner', testid: 'spotlight-banner', hidden: true });

  const lockedOverlay = h(
    'div',
    { class: 'locked-overlay', testid: 'locked-overlay', hidden: true },
    h('div', { class: 'locked-card' }, h('span', { class: 'locked-icon', 'aria-hidden': 'true' }, '⏸'), h('strong', null, t('student.paused')), h('span', null, t('student.pausedBody'))),
  );
  const solved = h(
    'div',
    { class: 'solved-banner', testid: 'solved', hidden: true, role: 'status' },
    h('span', { class: 'solved-icon', 'aria-hidden': 'true' }, '🎉'),
    h('strong', null, t('student.solved')),
    h('span', null, t('student.solvedBody')),
  );
  const confetti = h('div', { class: 'confetti', 'aria-hidden': 'true' });
  const waiting = h(
    'div',
    { class: 'empty-state', testid: 'waiting' },
    h('div', { class: 'empty-illustration', 'aria-hidden': 'true' }, '🧩'),
    h('h3', null, t('student.waiting.title')),
    h('p', { class: 'muted' }, t('student.waiting.body')),
  );
  const stage = h('div', { class: 'board-stage', testid: 'student-board' }, waiting, lockedOverlay, confetti);

  const panel = h(
    'section',
    { class: 'board-panel card' },
    h('div', { class: 'board-toolbar' }, h('div', { class: 'board-heading' }, title, tabs), progress.el, reference),
    spotlightBanner,
    solved,
    stage,
  );
  main.append(h('div', { class: 'student-layout' }, panel, chat.el));

  let view = null;
  /** Which board the student chose to look at while a spotlight is on. */
  let preferSpotlight = true;
  let lastSpotlight = null;
  /** Whether each board was done at the last update, to celebrate only the moment it is solved. */
  const wasDone = new Map();

  function boardsNow() {
    const infos = client.boards.map((b) => b.info).filter(Boolean);
    const mine = infos.find(isMember) ?? null;
    const spot = client.currentSpotlight;
    const spotlighted = spot ? (infos.find((i) => i.boardId === spot.board) ?? null) : null;
    return { mine, spotlighted, spot };
  }

  function puzzleTitle(info) {
    if (info?.mode === 'shared') return t('student.classPuzzle');
    return info?.mode === 'groups' ? t('student.teamPuzzle') : t('student.yourPuzzle');
  }

  function ownerName(info, hideNames) {
    if (info.mode === 'shared') return t('student.classBoard');
    if (hideNames) return t('student.hiddenBoard');
    const names = info.members.map((id) => person(id)?.name ?? t('student.classmate'));
    return t('student.boardOf', { names: new Intl.ListFormat(locale(), { type: 'conjunction' }).format(names) });
  }

  function update() {
    const { mine, spotlighted, spot } = boardsNow();
    const spotKey = spot ? `${spot.board}` : null;
    if (spotKey !== lastSpotlight) {
      // A new spotlight takes the screen; the student can switch back.
      preferSpotlight = true;
      lastSpotlight = spotKey;
    }
    const spotlightIsMine = Boolean(spotlighted && mine && spotlighted.boardId === mine.boardId);
    const showSpotlight = Boolean(spotlighted && !spotlightIsMine && (preferSpotlight || !mine));
    const shown = showSpotlight ? spotlighted : mine;

    // Tabs only when there is a choice to make.
    tabs.hidden = !(spotlighted && !spotlightIsMine && mine);
    if (!tabs.hidden) {
      tabs.replaceChildren(
        h('button', { role: 'tab', class: showSpotlight ? 'tab' : 'tab active', 'aria-selected': String(!showSpotlight), onclick: () => choose(false) }, t('student.tab.mine')),
        h('button', { role: 'tab', class: showSpotlight ? 'tab active' : 'tab', 'aria-selected': String(showSpotlight), onclick: () => choose(true) }, t('student.tab.spotlight')),
      );
    }
    title.textContent = showSpotlight ? t('student.onBigScreen') : puzzleTitle(mine);

    if (spotlighted) {
      spotlightBanner.hidden = false;
      spotlightBanner.textContent = spotlightIsMine
        ? t('student.spotlightMine')
        : t('student.spotlightOther', { board: ownerName(spotlighted, spot.hideNames) });
    } else {
      spotlightBanner.hidden = true;
    }

    if (!shown) {
      dropView();
      waiting.hidden = false;
      lockedOverlay.hidden = true;
      solved.hidden = true;
      reference.hidden = true;
      progress.set(0);
      return;
    }
    waiting.hidden = true;
    const interactive = isMember(shown);
    if (!view || view.boardId !== shown.boardId || view.interactive !== interactive) {
      dropView();
      const created = createBoardView({
        client,
        boardId: shown.boardId,
        interactive,
        zoomable: true,
        onRefused: (code) => toast(describeRefusedDrag(code), code === 'locked' ? 'info' : 'error'),
      });
      view = { ...created, interactive };
      stage.prepend(view.el);
      stage.append(view.controls);
    } else {
      view.refresh();
    }
    reference.src = client.uploadUrl(shown.meta.image);
    reference.hidden = false;
    lockedOverlay.hidden = !(shown.locked && interactive);
    progress.set(shown.progress);
    solved.hidden = !shown.done;
    const before = wasDone.get(shown.boardId);
    if (shown.done && before === false) celebrate();
    wasDone.set(shown.boardId, shown.done);
  }

  function dropView() {
    view?.destroy();
    view?.el.remove();
    view?.controls?.remove();
    view = null;
  }

  function choose(spotlight) {
    preferSpotlight = spotlight;
    update();
  }

  function celebrate() {
    confetti.replaceChildren(
      ...Array.from({ length: 40 }, (_, i) =>
        h('i', { style: { left: `${(i * 37) % 100}%`, animationDelay: `${(i % 10) * 60}ms`, background: `hsl(${(i * 47) % 360} 85% 60%)` } }),
      ),
    );
    confetti.classList.remove('go');
    void confetti.offsetWidth;
    confetti.classList.add('go');
  }

  const offs = [
    client.on('boards', update),
    client.on('progress', update),
    client.on('participants', update),
    client.on('board', (e) => {
      if (e.replaced) update();
    }),
  ];
  update();

  return {
    destroy() {
      for (const off of offs) off();
      view?.destroy();
    },
  };
}
