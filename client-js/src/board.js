// One board's replica: a Y.Doc kept in sync over the room channel, and the
// small puzzle API on top of it (schema/PROTOCOL.md §6).
//
// The document has two maps: `meta` (read-only) and `pieces`, whose key is
// the piece index in decimal and whose value is a plain object {x, y, r, z, g}.
// Drags stream on the motion lane (`move`, throttled); only the drop is
// written to the document, as one transaction, so the CRDT keeps one entry
// per drop rather than one per pointer event.

import * as Y from 'yjs';

import { CLIENT_ERROR_CODES, JigsyncError } from './errors.js';
import { snapDrop } from './puzzle/index.js';

/**
 * Transaction origin of every update that came from the server (`doc` and
 * `update` frames). Observers of `board.doc` can tell remote changes from
 * local ones: `doc.on('update', (u, origin) => origin === REMOTE_ORIGIN)`.
 */
export const REMOTE_ORIGIN = Object.freeze({ jigsync: 'remote' });

/** Transaction origin of a drop made through `board.drop`. */
export class DropOrigin {
  constructor(piece) {
    this.piece = piece;
    /** The update the drop's transaction produced (set by the doc listener). */
    this.update = null;
  }
}

/** A Yjs v1 update that changes nothing (no structs, empty delete set). */
const EMPTY_UPDATE = new Uint8Array([0, 0]);

/**
 * Failures of a board write that do not mean the server may lack it: a
 * write cut off by a disconnect is re-sent after the resume, and a closed
 * client is done. Any other failure (a refusal, a timeout) does.
 */
const KEEPS_REPLICA = new Set([CLIENT_ERROR_CODES.disconnected, CLIENT_ERROR_CODES.closed]);

const META_KEYS = ['image', 'rows', 'cols', 'pieceWidth', 'pieceHeight', 'seed', 'width', 'height'];

/** The geometry (BoardMeta) a board's document holds, or null before the scatter. */
export function metaOf(doc) {
  const map = doc.getMap('meta');
  if (map.size === 0) return null;
  return Object.fromEntries(META_KEYS.map((key) => [key, map.get(key)]));
}

export class Board {
  #host;
  #onUpdate = (update, origin) => this.#onDocUpdate(update, origin);
  /** The pending rebuild (a promise), if any. */
  #rebuilding = null;

  /**
   * @param {object} host  the client's internals this board needs:
   *   request(msg) -> Promise<ack>, write(board, update, release) -> Promise<ack>,
   *   resync(board) -> Promise<void>, move(board, piece, x, y), endMove(board, piece),
   *   emitBoard(event), reportError(err)
   * @param {number} id
   * @param {object|null} info  the BoardInfo from the latest `boards` frame
   */
  constructor(host, id, info) {
    this.#host = host;
    this.id = id;
    /** @type {object|null} */
    this.info = info;
    this.doc = new Y.Doc();
    /** Soft locks as announced by `grab`/`release` frames: piece -> holder's user id (or null when hidden). */
    this.locks = new Map();
    /** Pieces released since their last grab: late motion for them is ignored. */
    this.released = new Set();
    /** Board writes not yet acknowledged, oldest first (the client re-sends them after a reconnect). */
    this.outbox = [];
    /**
     * True when this replica holds a write the server refused: it is rebuilt
     * from the server's whole document (the next `doc` frame replaces `doc`).
     */
    this.needsRebuild = false;
    this.destroyed = false;
    this.doc.on('update', this.#onUpdate);
  }

  /** The board's geometry (BoardMeta): from `boards`, else from the document. */
  get meta() {
    if (this.info) return this.info.meta;
    return metaOf(this.doc);
  }

  get locked() {
    return this.info?.locked ?? false;
  }

  get progress() {
    return this.info?.progress ?? 0;
  }

  get done() {
    return this.info?.done ?? false;
  }

  /**
   * Every piece's current value, as an array indexed by piece id: {x, y, r, z, g}
   * (copies; a missing entry is `undefined`).
   */
  pieces() {
    const map = this.doc.getMap('pieces');
    const meta = this.meta;
    const count = meta ? meta.rows * meta.cols : map.size;
    const out = new Array(count);
    for (let i = 0; i < count; i++) {
      const value = map.get(String(i));
      out[i] = value ? { x: value.x, y: value.y, r: value.r, z: value.z, g: value.g } : undefined;
    }
    return out;
  }

  /** One piece's value {x, y, r, z, g}, or undefined. */
  piece(index) {
    const value = this.doc.getMap('pieces').get(String(index));
    return value ? { x: value.x, y: value.y, r: value.r, z: value.z, g: value.g } : undefined;
  }

  /** Who holds the soft lock on a piece: a user id, null (names hidden), or undefined (free). */
  heldBy(piece) {
    return this.locks.get(piece);
  }

  /** Takes the soft lock on the piece's group; rejects with `busy` or `locked`. */
  grab(piece) {
    return this.#host.request({ type: 'grab', board: this.id, piece });
  }

  /** Streams a drag position (throttled to ~30 Hz per piece; the last one is always sent). */
  move(piece, x, y) {
    this.#host.move(this.id, piece, x, y);
  }

  /**
   * Drops a piece at (x, y): computes snapping and grouping with the shared
   * puzzle logic, writes every resulting position into `pieces` in one Yjs
   * transaction, sends that transaction's update with `release = piece`, and
   * resolves once the server acknowledged it: `{ moves, snapped }`.
   * Rejects with the server's code (e.g. `locked`, `forbidden`; `invalid` if
   * the server refused some positions, which it then puts back).
   */
  async drop(piece, x, y, { tolerance } = {}) {
    // Build on the server's state, not on a write it refused.
    if (this.#rebuilding) await this.#rebuilding.catch(() => {});
    const meta = this.meta;
    if (!meta) throw new Error(`board ${this.id} has no geometry yet`);
    // Known locked: refuse before touching the replica (the server would too).
    if (this.locked) throw new JigsyncError('locked', `board ${this.id} is locked`);
    const pieces = this.pieces();
    const group = pieces[piece]?.g;
    const { moves, snapped } = snapDrop(meta, pieces, piece, x, y, {
      tolerance,
      // Groups someone else is dragging: their drop rewrites their whole group.
      isHeld: (p) => this.locks.has(p) && pieces[p]?.g !== group,
    });
    // The drop supersedes any position still waiting in the throttle.
    this.#host.endMove(this.id, piece);
    const origin = new DropOrigin(piece);
    const map = this.doc.getMap('pieces');
    this.doc.transact(() => {
      for (const m of moves) map.set(String(m.piece), { x: m.x, y: m.y, r: m.r, z: m.z, g: m.g });
    }, origin);
    // Nothing changed (a drop exactly where the group was): still release it.
    await this.#send(origin.update ?? EMPTY_UPDATE, piece);
    return { moves, snapped };
  }

  /** Sends a write this replica already applied; if the server refuses it, rebuilds the replica. */
  async #send(update, release) {
    try {
      return await this.#host.write(this, update, release);
    } catch (err) {
      if (!KEEPS_REPLICA.has(err.code) && !this.destroyed) this.rebuild();
      throw err;
    }
  }

  /**
   * Starts the replica over from the server's whole document. Used when the
   * server refused (or may not have received) a write already applied here:
   * a CRDT cannot take a change back, and later writes built on it would
   * refer to content the server never had. `doc` is then a new Y.Doc (the
   * `board` event says `replaced: true`). Resolves once it is in place.
   */
  rebuild() {
    this.needsRebuild = true;
    this.#rebuilding ??= this.#host.resync(this).finally(() => {
      this.#rebuilding = null;
    });
    return this.#rebuilding;
  }

  /** Called with the whole document the server sent for a rebuild. */
  replaceDoc(update) {
    const fresh = new Y.Doc();
    Y.applyUpdate(fresh, update, REMOTE_ORIGIN);
    const old = this.doc;
    old.off('update', this.#onUpdate);
    this.doc = fresh;
    fresh.on('update', this.#onUpdate);
    this.needsRebuild = false;
    old.destroy();
  }

  /** Applies a `doc` or `update` frame from the server. */
  applyRemote(update) {
    Y.applyUpdate(this.doc, update, REMOTE_ORIGIN);
  }

  #onDocUpdate(update, origin) {
    if (origin === REMOTE_ORIGIN) return; // the client emits `board` for these itself
    if (origin instanceof DropOrigin) {
      origin.update = update;
    } else {
      // Any other local change (an app writing the document directly) is a
      // board write too; it has no caller waiting on it, so errors become
      // `error` events.
      this.#send(update, null).catch((err) => this.#host.reportError(err));
    }
    this.#host.emitBoard({ boardId: this.id, origin: 'local', by: null, replaced: false });
  }

  destroy() {
    this.destroyed = true;
    this.doc.destroy();
  }
}
