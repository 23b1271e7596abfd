// The teacher's replay of a board (issue 15): the board as it was at any
// moment, a timeline scrubber with marks for drops, pieces joined and the
// solved moment, play/pause and 1×/4×/16×. It draws with the same board
// view as the live board, fed from a Replay (client-js) instead of the
// live replica; pieces glide between drops, since drags are not stored.
// The board's geometry comes from the timeline itself, so the panel works
// on the live dashboard and from the report after the class alike.

import { createBoardView } from './board-view.js';
import { h, replaceChildren } from './dom.js';
import { describeError } from './errors.js';
import { t } from './i18n/index.js';
import './replay-panel.css';

const SPEEDS = [1, 4, 16];
/** At most this many marks of one kind are drawn (one per slot of the timeline). */
const MARK_SLOTS = 300;

/** "m:ss.s" of a duration in ms: a quick solve takes seconds, not minutes. */
function clock(ms) {
  const tenths = Math.max(0, Math.floor(ms / 100));
  const secs = Math.floor(tenths / 10);
  return `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, '0')}.${tenths % 10}`;
}

/**
 * A live-board stand-in for the board view: the replay's document as a
 * board that nobody holds or writes.
 */
function replaySource(participantsById, boardId, meta, replay, pictureUrl) {
  const listeners = new Set();
  const board = {
    meta,
    locks: new Map(),
    locked: false,
    get done() {
      return replay.completedAt !== null && replay.time >= replay.completedAt;
    },
    pieces() {
      const map = replay.doc.getMap('pieces');
      return Array.from({ length: meta.rows * meta.cols }, (_, i) => map.get(String(i)));
    },
  };
  replay.on('seek', () => listeners.forEach((fn) => fn({ boardId })));
  return {
    board: () => board,
    on(event, fn) {
      if (event !== 'board') return () => {};
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    participantsById,
    uploadUrl: pictureUrl,
  };
}

/**
 * Opens the replay of `boardId` in `container`, in place of `stage` (hidden
 * meanwhile). `load` fetches the Replay; `pictureUrl` turns the board's
 * stored picture URL into a fetchable one (`client.uploadUrl`);
 * `participantsById` names whoever a live board shows holding a piece (none
 * after the class). `backLabel` names where "back" leads; `onClose` runs
 * when the teacher goes back. Returns `{ el, destroy }`.
 */
export function openReplayPanel({ load, pictureUrl, participantsById = new Map(), boardId, container, stage, backLabel = t('replay.back'), onClose }) {
  const status = h('p', { class: 'muted replay-status', role: 'status' }, t('replay.loading'));
  const back = h('button', { class: 'button subtle', testid: 'replay-close', onclick: () => close() }, backLabel);
  const el = h(
    'section',
    { class: 'replay-panel', testid: 'replay-panel', 'aria-label': t('replay.title') },
    h('div', { class: 'replay-header' }, h('h3', null, t('replay.title')), back),
    status,
  );
  stage.hidden = true;
  container.append(el);
  let replay = null;
  let view = null;
  let closed = false;

  function close() {
    destroy();
    onClose?.();
  }

  function destroy() {
    if (closed) return;
    closed = true;
    replay?.destroy();
    view?.destroy();
    el.remove();
    stage.hidden = false;
  }

  load()
    .then((loaded) => {
      if (closed) return loaded.destroy();
      replay = loaded;
      show();
    })
    .catch((err) => {
      if (!closed) status.textContent = describeError(err);
    });

  function show() {
    const meta = replay.meta;
    if (!meta || replay.updates.length === 0) {
      status.textContent = t('replay.empty');
      return;
    }
    const span = Math.max(1, replay.end - replay.start);
    view = createBoardView({ client: replaySource(participantsById, boardId, meta, replay, pictureUrl), boardId });
    const scrubber = h('input', {
      type: 'range',
      class: 'replay-scrubber',
      testid: 'replay-scrubber',
      min: '0',
      max: String(span),
      step: '1',
      value: '0',
      'aria-label': t('replay.scrubber'),
      oninput: () => replay.seek(replay.start + Number(scrubber.value)),
    });
    const time = h('span', { class: 'replay-time', testid: 'replay-time' });
    const play = h('button', {
      class: 'button primary',
      testid: 'replay-play',
      onclick: () => (replay.playing ? replay.pause() : replay.play()),
    });
    const speeds = SPEEDS.map((speed) =>
      h(
        'button',
        {
          type: 'button',
          class: 'button subtle small',
          testid: `replay-speed-${speed}`,
          'aria-pressed': String(speed === replay.speed),
          onclick: () => {
            replay.setSpeed(speed);
            speeds.forEach((b, i) => b.setAttribute('aria-pressed', String(SPEEDS[i] === speed)));
          },
        },
        `${speed}×`,
      ),
    );
    const marks = h('div', { class: 'replay-marks', 'aria-hidden': 'true' });
    const seen = new Set();
    for (const mark of replay.marks()) {
      const at = Math.min(1, Math.max(0, (mark.time - replay.start) / span));
      const slot = `${mark.kind}:${Math.round(at * MARK_SLOTS)}`;
      if (seen.has(slot)) continue;
      seen.add(slot);
      marks.append(h('span', { class: `replay-mark ${mark.kind}`, testid: 'replay-mark', dataset: { kind: mark.kind }, style: { left: `${at * 100}%` } }));
    }
    const legend = h(
      'div',
      { class: 'replay-legend muted' },
      ['drop', 'join', 'solved'].map((kind) => h('span', null, h('span', { class: `replay-mark ${kind}` }), t(`replay.mark.${kind}`))),
    );
    function update() {
      scrubber.value = String(replay.time - replay.start);
      time.textContent = t('replay.time', { now: clock(replay.time - replay.start), total: clock(span) });
      play.textContent = replay.playing ? t('replay.pause') : t('replay.play');
      play.setAttribute('aria-pressed', String(replay.playing));
    }
    replay.on('seek', update);
    replay.on('play', update);
    replay.on('pause', update);
    replaceChildren(
      el,
      h('div', { class: 'replay-header' }, h('h3', null, t('replay.title')), back),
      h('div', { class: 'replay-stage', testid: 'replay-board' }, view.el),
      h('div', { class: 'replay-track' }, marks, scrubber),
      h(
        'div',
        { class: 'replay-controls' },
        play,
        h('span', { class: 'replay-speeds', role: 'group', 'aria-label': t('replay.speed') }, speeds),
        time,
        legend,
      ),
    );
    update();
  }

  return { el, destroy };
}
