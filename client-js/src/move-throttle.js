// Client-side throttle for drag positions (`mv` messages).
//
// Drags ride Jigsync's motion lane (schema/PROTOCOL.md §2 and §6, Motion):
// positions are ephemeral, never stored or acknowledged, and the server keeps
// only the latest one per piece. Only the drop goes through the CRDT, as a
// board `update`. Pointer events come at 60–240 Hz, far more than anyone can
// see, and the server spends a per-connection move budget (60/s by default) on
// every `mv`. So the client sends at most `hz` positions per second per
// dragging piece and always sends the last one (the trailing position), so
// the piece comes to rest where the pointer left it.
//
// Timing is injectable (`now`, `setTimer`, `clearTimer`) so tests can use a
// fake clock. No dependencies; works in browsers and Node.

/**
 * @typedef {{ board: number, piece: number, x: number, y: number, seq: number, t: number }} Move
 */

/**
 * @param {object} options
 * @param {(move: Move) => void} options.send  receives each position to send; the caller encodes it
 * @param {number} [options.hz=30]  most positions per second per (board, piece)
 * @param {() => number} [options.now]  clock in ms (default `performance.now()`)
 * @param {(fn: () => void, ms: number) => unknown} [options.setTimer]
 * @param {(handle: unknown) => void} [options.clearTimer]
 */
export function createMoveThrottle({
  send,
  hz = 30,
  now = () => performance.now(),
  // Wrapped so that the host functions are never called with a foreign `this`.
  setTimer = (fn, ms) => setTimeout(fn, ms),
  clearTimer = (handle) => clearTimeout(handle),
}) {
  if (typeof send !== 'function') throw new TypeError('send must be a function');
  if (!(typeof hz === 'number' && hz > 0 && Number.isFinite(hz))) {
    throw new RangeError('hz must be a positive number');
  }
  const interval = 1000 / hz;

  /**
   * One entry per (board, piece) being dragged:
   * lastSent: clock value of the last send; pending: latest unsent position
   * or null; timer: handle of the trailing send, or null.
   * @type {Map<string, { board: number, piece: number, lastSent: number, pending: { x: number, y: number } | null, timer: unknown }>}
   */
  const keys = new Map();
  let seq = 0;
  let closed = false;

  function emit(entry, x, y) {
    const at = now();
    entry.lastSent = at;
    entry.pending = null;
    const move = { board: entry.board, piece: entry.piece, x, y, seq, t: Math.floor(at) >>> 0 };
    seq = (seq + 1) >>> 0; // u32 on the wire: wraps
    send(move);
  }

  function cancelTimer(entry) {
    if (entry.timer !== null) {
      clearTimer(entry.timer);
      entry.timer = null;
    }
  }

  function sendPending(entry) {
    cancelTimer(entry);
    if (entry.pending) emit(entry, entry.pending.x, entry.pending.y);
  }

  function move(board, piece, x, y) {
    if (closed) return;
    checkId(board, 0xffffffff, 'board');
    checkId(piece, 0xffff, 'piece');
    // The server refuses non-finite positions; x/y travel as float32, so a
    // number too large for float32 would arrive as an infinity too.
    if (!isCoordinate(x) || !isCoordinate(y)) return;

    const key = `${board}:${piece}`;
    let entry = keys.get(key);
    if (!entry) {
      entry = { board, piece, lastSent: 0, pending: null, timer: null };
      keys.set(key, entry);
      emit(entry, x, y);
      return;
    }
    const elapsed = now() - entry.lastSent;
    if (elapsed >= interval) {
      // Quiet for a whole interval (or the trailing timer is late): this
      // position supersedes anything pending.
      cancelTimer(entry);
      emit(entry, x, y);
      return;
    }
    entry.pending = { x, y };
    if (entry.timer === null) {
      entry.timer = setTimer(() => {
        entry.timer = null;
        if (keys.get(key) === entry) sendPending(entry);
      }, interval - elapsed);
    }
  }

  /** The piece was dropped: its drop (a board update) supersedes any pending position. */
  function end(board, piece) {
    const key = `${board}:${piece}`;
    const entry = keys.get(key);
    if (!entry) return;
    cancelTimer(entry);
    keys.delete(key);
  }

  /** Sends every pending trailing position now. */
  function flush() {
    for (const entry of keys.values()) sendPending(entry);
  }

  /** Cancels every timer without sending; later `move` calls are ignored. */
  function close() {
    closed = true;
    for (const entry of keys.values()) cancelTimer(entry);
    keys.clear();
  }

  return { move, end, flush, close };
}

function isCoordinate(value) {
  return typeof value === 'number' && Number.isFinite(Math.fround(value));
}

function checkId(value, max, name) {
  if (!(Number.isInteger(value) && value >= 0 && value <= max)) {
    throw new RangeError(`${name} must be an integer in 0..${max}, got ${value}`);
  }
}
