// Replay of how a board was solved (issue 15): loads a board's timeline
// (`GET /api/rooms/{roomId}/boards/{boardId}/history`, schema/PROTOCOL.md
// §11, Board history) and gives a Y.Doc positioned at any moment, with
// play/pause at a speed.
//
// A CRDT cannot be wound back: a later value of a piece always wins over an
// earlier one. So seeking backward builds a fresh document from the nearest
// keyframe before the moment and the updates after it; seeking forward
// applies the updates in between to the current document when that is
// fewer than starting again from a keyframe. The server keeps a keyframe
// only once a snapshot's worth of updates has passed since the last one
// (so a long board's storage grows with its updates, not their square);
// the replay fills the longer gaps with keyframes of its own when it
// loads, one every 256 updates, so any seek applies at most a keyframe and
// 255 small updates.

import { decode } from '@msgpack/msgpack';
import * as Y from 'yjs';

import { metaOf } from './board.js';
import { Emitter } from './emitter.js';
import { request } from './http.js';

/** Transaction origin of every change a replay makes to its document. */
export const REPLAY_ORIGIN = Object.freeze({ jigsync: 'replay' });

/** How often a playing replay moves its document on (ms of real time). */
const PLAY_TICK_MS = 50;

/** The most updates a seek applies after a keyframe (see the top). */
const KEYFRAME_EVERY = 256;

/**
 * Fetches a board's timeline and returns a Replay positioned at its start.
 * `from`/`to` (ms) limit it to a window; `url` is the server (http(s) or ws(s)).
 */
export async function loadReplay(url, { roomId, boardId, token, from, to, timeoutMs, fetch } = {}) {
  const route = historyRoute(encodeURIComponent(roomId), boardId, { from, to });
  return replayOf(await request(url, 'GET', route, { token, timeoutMs, fetch, binary: true }));
}

/** The history route of a board (the room id already URL-encoded). */
export function historyRoute(room, boardId, { from, to } = {}) {
  const query = new URLSearchParams();
  if (from !== undefined && from !== null) query.set('from', String(from));
  if (to !== undefined && to !== null) query.set('to', String(to));
  const qs = query.toString();
  return `/api/rooms/${room}/boards/${boardId}/history${qs ? `?${qs}` : ''}`;
}

/** A Replay of a `BoardHistory` body. */
export function replayOf(bytes) {
  return new Replay(decodeHistory(bytes), { bytes: bytes.byteLength });
}

/** A `BoardHistory` body as plain objects (records travel as arrays). */
export function decodeHistory(bytes) {
  const [board, completedAt, base, keyframes, authors, updates] = decode(bytes);
  const keyframe = ([seq, ts, state]) => ({ seq: Number(seq), ts: Number(ts), state });
  return {
    board,
    completedAt: completedAt === null || completedAt === undefined ? null : Number(completedAt),
    base: base ? keyframe(base) : null,
    keyframes: keyframes.map(keyframe),
    authors,
    updates: updates.map(([seq, ts, author, update]) => ({
      seq: Number(seq),
      ts: Number(ts),
      author: author === null || author === undefined ? null : authors[author],
      update,
    })),
  };
}

export class Replay extends Emitter {
  #doc;
  /** Where a seek may start: `{ index, state }`, by index. */
  #starts;
  /** Updates applied to `#doc`: it is the state after updates[0 .. #applied). */
  #applied = 0;
  #time;
  #timer = null;
  #speed = 1;

  /**
   * @param {object} history  as decodeHistory returns it
   * @param {{ bytes?: number }} [info]  the body's size, for measurements
   */
  constructor(history, { bytes = 0 } = {}) {
    super();
    this.board = history.board;
    this.completedAt = history.completedAt;
    this.updates = history.updates;
    /** The keyframes the server sent (`{ seq, ts }`), oldest first. */
    this.keyframes = history.keyframes.map(({ seq, ts }) => ({ seq, ts }));
    this.bytes = bytes;
    // Starting points for seeks: the base (or an empty document) at update
    // index 0, then each keyframe at the index of the first update after it.
    const firstSeq = this.updates[0]?.seq ?? (history.base ? history.base.seq + 1 : 1);
    this.#starts = [{ index: 0, state: history.base?.state ?? null }];
    for (const k of history.keyframes) {
      const index = k.seq + 1 - firstSeq;
      if (index > 0 && index <= this.updates.length) this.#starts.push({ index, state: k.state });
    }
    this.#starts = this.#withOwnKeyframes(this.#starts);
    /** Time of the first and the last moment of the timeline (ms). */
    this.start = this.updates[0]?.ts ?? history.base?.ts ?? 0;
    this.end = this.updates.at(-1)?.ts ?? this.start;
    this.#doc = this.#docFrom(this.#starts[0]);
    this.#time = this.start;
    this.seek(this.start);
  }

  /** The document as of `time`. Seeking backward replaces it (see `seek`). */
  get doc() {
    return this.#doc;
  }

  /**
   * The board's geometry (BoardMeta) as its document holds it, or null
   * before the scatter: what a replay draws with when no live board is
   * there to ask, as after the class.
   */
  get meta() {
    return metaOf(this.#doc);
  }

  /** The moment the document shows (ms). */
  get time() {
    return this.#time;
  }

  get playing() {
    return this.#timer !== null;
  }

  get speed() {
    return this.#speed;
  }

  /** Updates up to `time` inclusive: the index after the last one. */
  #indexAt(time) {
    let lo = 0;
    let hi = this.updates.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.updates[mid].ts <= time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The starting points with keyframes of the replay's own added wherever
   * two are more than KEYFRAME_EVERY updates apart: one pass over each such
   * gap, once, when the replay loads.
   */
  #withOwnKeyframes(starts) {
    const all = [];
    starts.forEach((start, i) => {
      all.push(start);
      const end = starts[i + 1]?.index ?? this.updates.length;
      if (end - start.index <= KEYFRAME_EVERY) return;
      const doc = this.#docFrom(start);
      for (let index = start.index; index < end; ) {
        Y.applyUpdate(doc, this.updates[index].update, REPLAY_ORIGIN);
        index += 1;
        if ((index - start.index) % KEYFRAME_EVERY === 0 && index < end) {
          all.push({ index, state: Y.encodeStateAsUpdate(doc) });
        }
      }
      doc.destroy();
    });
    return all;
  }

  #docFrom(start) {
    const doc = new Y.Doc();
    doc.getMap('meta');
    doc.getMap('pieces');
    if (start.state) Y.applyUpdate(doc, start.state, REPLAY_ORIGIN);
    return doc;
  }

  /**
   * Positions the document at `time` (clamped to the timeline) and returns
   * it. Going back, or far forward, gives a new Y.Doc: read `replay.doc` (or
   * listen to `seek`) rather than keeping the old one.
   */
  seek(time) {
    const t = Math.min(Math.max(Number(time), this.start), this.end);
    const target = this.#indexAt(t);
    let start = this.#starts[0];
    for (const s of this.#starts) if (s.index <= target) start = s;
    const forward = target >= this.#applied;
    const replaced = !(forward && target - this.#applied <= target - start.index);
    if (replaced) {
      this.#doc = this.#docFrom(start);
      this.#applied = start.index;
    }
    const applied = target - this.#applied;
    if (this.#applied < target) {
      const doc = this.#doc;
      doc.transact(() => {
        for (let i = this.#applied; i < target; i++) Y.applyUpdate(doc, this.updates[i].update, REPLAY_ORIGIN);
      }, REPLAY_ORIGIN);
      this.#applied = target;
    }
    this.#time = t;
    this.emit('seek', { time: t, doc: this.#doc, replaced, index: target, applied: Math.max(applied, 0) });
    return this.#doc;
  }

  /** Plays from the current moment at `speed`× (from the start if at the end). */
  play({ speed } = {}) {
    if (speed !== undefined) this.setSpeed(speed);
    if (this.#timer !== null) return;
    if (this.#time >= this.end) this.seek(this.start);
    let last = Date.now();
    this.#timer = setInterval(() => {
      const now = Date.now();
      const next = this.#time + (now - last) * this.#speed;
      last = now;
      this.seek(next);
      if (next >= this.end) this.pause();
    }, PLAY_TICK_MS);
    this.emit('play', { speed: this.#speed });
  }

  pause() {
    if (this.#timer === null) return;
    clearInterval(this.#timer);
    this.#timer = null;
    this.emit('pause', { time: this.#time });
  }

  setSpeed(speed) {
    if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError('speed must be a positive number');
    this.#speed = speed;
  }

  /**
   * Moments worth marking on a timeline, in order: each drop (an update
   * with an author: `{ kind: 'drop', time, author }`), each time pieces
   * joined into fewer groups (`join`) and the solved moment (`solved`).
   * Replays the whole timeline once, on its own document.
   */
  marks() {
    const marks = [];
    const doc = this.#docFrom(this.#starts[0]);
    const pieces = doc.getMap('pieces');
    const groupCount = () => new Set([...pieces.values()].map((p) => p?.g)).size;
    let groups = groupCount();
    for (const u of this.updates) {
      Y.applyUpdate(doc, u.update, REPLAY_ORIGIN);
      if (u.author !== null) marks.push({ kind: 'drop', time: u.ts, author: u.author });
      const now = groupCount();
      if (now < groups && groups > 0 && u.author !== null) marks.push({ kind: 'join', time: u.ts, author: u.author });
      groups = now;
    }
    if (this.completedAt !== null) marks.push({ kind: 'solved', time: this.completedAt, author: null });
    doc.destroy();
    return marks;
  }

  /** Stops playing; the replay is not used again. */
  destroy() {
    this.pause();
  }
}
