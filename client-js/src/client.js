// JigsyncClient: one member's connection to a room channel (`/ws`).
//
// It keeps the room's state (me, participants, owner, boards), a Y.Doc
// replica per visible board, turns server frames into events, and sends
// requests whose promises settle on the matching `ack` or `error` (by `ref`).
// When the connection drops unexpectedly it reconnects with exponential
// backoff and full jitter, resumes with `since=<last seq>` and re-syncs every
// board by state vector (schema/PROTOCOL.md §2, §6 Resume, §9).
//
// In-flight requests across a disconnect (documented in the README):
// - board writes (drops) are CRDT updates, so re-sending is harmless: they
//   stay queued and are sent again after the resume;
// - chat and whisper issued while offline wait in a bounded queue and are
//   sent once after the reconnect;
// - every other request, and any chat or whisper already sent but not yet
//   answered, is rejected with code `disconnected` (a chat that was stored
//   anyway shows up in the resumed history, once).

import * as Y from 'yjs';

import { Board } from './board.js';
import { CodecError, decodeServerMsg, encodeClientMsg } from './codec.js';
import { Emitter } from './emitter.js';
import { CLIENT_ERROR_CODES, JigsyncError } from './errors.js';
import { request as httpRequest, toBlob, wsBase } from './http.js';
import { createMoveThrottle } from './move-throttle.js';
import { historyRoute, replayOf } from './replay.js';
import { resolveWebSocket } from './websocket.js';
import { UploadGrants, uploadGrantRoute } from './upload-grant.js';

/** Reconnect defaults: delay = random(0, min(maxDelay, baseDelay × factor^attempt)). */
export const RECONNECT_DEFAULTS = Object.freeze({
  baseDelay: 250,
  factor: 2,
  maxDelay: 10_000,
  maxAttempts: Infinity,
});

export const DEFAULTS = Object.freeze({
  requestTimeout: 10_000,
  offlineQueueLimit: 50,
  moveHz: 30,
});

/** Close codes after which reconnecting cannot help (§9). */
const CLOSE_UNAUTHORIZED = 4401;
const CLOSE_KICKED = 4403;
const CLOSE_ROOM_GONE = 4404;
const CLOSE_NORMAL = 1000;

/** How long to wait for the close event that should follow an error event. */
const ERROR_CLOSE_GRACE_MS = 500;

/** The room channel's frame limit (MAX_FRAME_BYTES, PROTOCOL.md §10). */
const MAX_FRAME_BYTES = 64 * 1024;

export class JigsyncClient extends Emitter {
  #url;
  #token;
  #options;
  #reconnect;

  #socket = null;
  #open = false; // a welcome arrived on the current socket
  #terminal = false;
  #closing = false; // close() was called
  #leaving = false; // leave() was sent: its 1000 close is final
  #left = false; // leave() was acknowledged: any close is final (reconnecting would rejoin)
  #hadWelcome = false;
  #resuming = false; // the current socket was opened with `since`
  #awaitingBoards = false; // the next `boards` is the one right after the welcome
  #attempt = 0;
  #reconnectTimer = null;

  #nextRef = 1;
  /** ref -> request entry awaiting its ack/error */
  #pending = new Map();
  /** chat/whisper entries waiting for a connection */
  #offlineQueue = [];
  /** @type {Map<number, Board>} */
  #boards = new Map();
  #throttle;
  #host;
  #readyResolve;
  #readyReject;
  /** The board this connection shows full size (focus is per connection: restored after a reconnect). */
  #focus = null;
  /** Until `ready` resolves: the first welcome, and the boards still waiting for their first `doc`. */
  #firstWelcome = null;
  #readyBoards = null;

  /**
   * @param {string} url  the server, as http(s)://host:port or ws(s)://host:port
   * @param {object} options  see `connect`
   */
  constructor(url, options = {}) {
    super();
    if (!options.token) throw new TypeError('connect: options.token is required');
    this.#url = url;
    this.#token = options.token;
    const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
    this.#options = { ...DEFAULTS, ...given };
    this.#reconnect = options.reconnect === false ? null : { ...RECONNECT_DEFAULTS, ...(options.reconnect ?? {}) };
    wsBase(url); // throws now on an unusable URL

    /** 'connecting' | 'open' | 'reconnecting' | 'closed' */
    this.connectionState = 'connecting';
    /** Highest message seq seen; resumes start after it. */
    this.lastSeq = options.since ?? 0;
    /** @type {import('./generated/schema.js').Participant | null} */
    this.me = null;
    this.roomId = options.roomId ?? null;
    this.roomName = null;
    this.owner = null;
    /** True while teachers keep new students out of the room (`joining`). */
    this.joinLocked = false;
    /** The room's chat rules: { whispers: 'visible_to_teachers' | 'off', chatOff, muted: userId[] }. */
    this.chatRules = { whispers: 'visible_to_teachers', chatOff: false, muted: [] };
    /** @type {Map<string, import('./generated/schema.js').Participant>} in joined order */
    this.participantsById = new Map();
    /** The current Spotlight ({ board, hideNames }) or null. */
    this.currentSpotlight = null;
    /** The room's upload grant, kept fresh: see `uploadUrl`. */
    this.uploads = new UploadGrants(url, () => this.#http('GET', uploadGrantRoute));
    this.uploads.on('change', (grant) => this.emit('uploadGrant', grant));

    /** Resolves with the first `welcome` once every board it lists has its document; rejects if the client ends first. */
    this.ready = new Promise((resolve, reject) => {
      this.#readyResolve = resolve;
      this.#readyReject = reject;
    });
    this.ready.catch(() => {}); // not an unhandled rejection if nobody awaits it

    this.#throttle = createMoveThrottle({
      hz: this.#options.moveHz,
      send: (move) => this.#sendFrame({ type: 'mv', ...move }),
    });
    this.#host = {
      request: (msg) => this.#request(msg),
      write: (board, update, release) => this.#write(board, update, release),
      resync: (board) => this.#resync(board),
      move: (board, piece, x, y) => this.#throttle.move(board, piece, x, y),
      endMove: (board, piece) => this.#throttle.end(board, piece),
      emitBoard: (event) => this.emit('board', event),
      reportError: (err) => this.emit('error', err),
    };
    this.#connect();
  }

  // -------------------------------------------------------------------------
  // State

  /** Active members (online or not), in the order they joined. */
  get participants() {
    return [...this.participantsById.values()];
  }

  /** Replicas of the boards this user may read. */
  get boards() {
    return [...this.#boards.values()];
  }

  /** The replica of one board, or undefined if it is not visible. */
  board(boardId) {
    return this.#boards.get(boardId);
  }

  // -------------------------------------------------------------------------
  // Chat

  /** Posts a chat message (text, or '' with an upload id). Resolves `{ seq }`. */
  chat(text, uploadId = null) {
    return this.#request({ type: 'chat', text, upload: uploadId }, { queueOffline: true });
  }

  /** Sends a whisper that only `userId` and you see. Resolves `{ seq }`. */
  whisper(userId, text) {
    return this.#request({ type: 'whisper', to: userId, text }, { queueOffline: true });
  }

  /**
   * Uploads a picture (GIF, PNG, JPEG or WebP; the server sniffs the type).
   * Resolves `{ uploadId, url, contentType, bytes }`.
   */
  async upload(file, name = 'image') {
    const form = new FormData();
    form.append('file', toBlob(file), name);
    return this.#http('POST', (room) => `/api/rooms/${room}/uploads`, { form });
  }

  /** Uploads a picture and posts it to the chat. Resolves `{ seq, upload }`. */
  async uploadImage(file, name = 'image') {
    const upload = await this.upload(file, name);
    const ack = await this.chat('', upload.uploadId);
    return { ...ack, upload };
  }

  /** Older messages: `{ messages, hasMore }`, oldest first, all with seq < before. */
  history({ before, limit } = {}) {
    const query = new URLSearchParams();
    if (before !== undefined && before !== null) query.set('before', String(before));
    if (limit !== undefined && limit !== null) query.set('limit', String(limit));
    const qs = query.toString();
    return this.#http('GET', (room) => `/api/rooms/${room}/messages${qs ? `?${qs}` : ''}`);
  }

  /**
   * A board's replay (teachers, and the board's members): its timeline,
   * optionally the window `from`..`to` (ms), as a Replay (replay.js).
   */
  async replay(boardId, { from, to } = {}) {
    const bytes = await this.#http('GET', (room) => historyRoute(room, boardId, { from, to }), { binary: true });
    return replayOf(bytes);
  }

  // -------------------------------------------------------------------------
  // Teacher controls and membership

  /** Starts a new puzzle (teachers). Resolves `{ puzzleId, boards, spotlight }`. */
  startPuzzle({ uploadId, rows, cols, mode, groups }) {
    const json = { uploadId, rows, cols, mode };
    if (groups !== undefined) json.groups = groups;
    return this.#http('POST', (room) => `/api/rooms/${room}/puzzles`, { json });
  }

  /** The boards this user may read, over HTTP: `{ puzzleId, boards, spotlight }`. */
  fetchBoards() {
    return this.#http('GET', (room) => `/api/rooms/${room}/boards`);
  }

  /** Shows one board full size on this connection (full-rate motion); null for none. */
  async focus(boardId) {
    const ack = await this.#request({ type: 'focus', board: boardId ?? null });
    this.#focus = boardId ?? null;
    return ack;
  }

  /** Locks (or unlocks) one board, or every board with null. */
  lock(boardId, locked = true) {
    return this.#request({ type: 'lock', board: boardId ?? null, locked });
  }

  /** Spotlights a board for the whole class (null ends it). */
  spotlight(boardId, hideNames = false) {
    return this.#request({ type: 'spotlight', board: boardId ?? null, hideNames });
  }

  /** Scatters a board's pieces again. */
  reset(boardId) {
    return this.#request({ type: 'reset', board: boardId });
  }

  /** Closes the room to new students (teachers), or opens it again with false. */
  lockJoining(locked = true) {
    return this.#request({ type: 'joining', locked });
  }

  /** Mutes a student (teachers), or lifts it with false. */
  mute(userId, muted = true) {
    return this.#request({ type: 'mute', user: userId, muted });
  }

  /** Switches chat off for the students (teachers), or on again with false. */
  chatOff(off = true) {
    return this.#request({ type: 'chatoff', off });
  }

  /** Whether students may whisper: 'visible_to_teachers' or 'off' (teachers). */
  setWhispers(rule) {
    return this.#request({ type: 'whispers', rule });
  }

  /** Whether the chat rules keep me from posting now (a whisper if `whisper`): null, or 'muted' | 'chat_off' | 'whispers_off'. */
  chatBlocked(whisper = false) {
    if (!this.me || this.me.role === 'teacher') return null;
    const rules = this.chatRules;
    if (rules.muted.includes(this.me.id)) return 'muted';
    if (rules.chatOff) return 'chat_off';
    if (whisper && rules.whispers === 'off') return 'whispers_off';
    return null;
  }

  /** Gives a student another display name (teachers); the room keeps names unique. */
  rename(userId, name) {
    return this.#request({ type: 'rename', user: userId, name });
  }

  /** Removes a member from the room. */
  kick(userId) {
    return this.#request({ type: 'kick', user: userId });
  }

  /** Hands room ownership to another active member (owner only). */
  transferOwnership(userId) {
    return this.#request({ type: 'owner', user: userId });
  }

  /** Leaves the room for good; the client closes once the server confirms. */
  async leave() {
    if (!this.#open) return this.#request({ type: 'leave' }); // refused: not connected
    this.#leaving = true;
    try {
      const ack = await this.#request({ type: 'leave' });
      this.#left = true;
      return ack;
    } catch (err) {
      // Refused by the server: still a member. Cut off before an answer: the
      // server may have handled it, and reconnecting would rejoin, so the
      // client ends (see #onClose).
      if (err.code !== CLIENT_ERROR_CODES.disconnected) this.#leaving = false;
      throw err;
    }
  }

  /**
   * A stored picture URL (`meta.image`, an attachment's `url`) as this
   * member can fetch it: absolute, with the room's current upload grant.
   * Grants change every so often (`uploadGrant` event): compute the URL when
   * a picture is shown, do not keep it.
   */
  uploadUrl(url) {
    return this.uploads.url(url);
  }

  /** Closes the room for everyone (owner only). */
  closeRoom() {
    return this.#request({ type: 'close' });
  }

  /**
   * Disconnects without leaving the room (the membership stays; another
   * connect with the same token resumes). Final for this client object.
   */
  close() {
    if (this.#terminal) return;
    this.#closing = true;
    const socket = this.#socket;
    this.#finish(new JigsyncError(CLIENT_ERROR_CODES.closed, 'the client was closed'));
    try {
      socket?.close(CLOSE_NORMAL, 'client closed');
    } catch {
      // Already closing.
    }
  }

  // -------------------------------------------------------------------------
  // Connection

  async #connect() {
    let WebSocketImpl;
    try {
      WebSocketImpl = await resolveWebSocket(this.#options.WebSocket);
    } catch (err) {
      this.#finish(new JigsyncError(CLIENT_ERROR_CODES.closed, `no WebSocket available: ${err.message}`));
      return;
    }
    if (this.#terminal) return;
    const params = new URLSearchParams({ token: this.#token });
    // After a first welcome every connection resumes, so no chat is missed
    // or repeated and boards are re-synced by state vector.
    this.#resuming = this.#hadWelcome || this.#options.since !== undefined;
    if (this.#resuming) params.set('since', String(this.lastSeq));
    let socket;
    try {
      // The room's own URL once its id is known: a load balancer in front of
      // several nodes routes by it.
      const path = this.roomId ? `/ws/${encodeURIComponent(this.roomId)}` : '/ws';
      socket = new WebSocketImpl(`${wsBase(this.#url)}${path}?${params}`);
    } catch (err) {
      this.#finish(new JigsyncError(CLIENT_ERROR_CODES.closed, `cannot open the room channel: ${err.message}`));
      return;
    }
    socket.binaryType = 'arraybuffer';
    socket.onmessage = (event) => {
      if (socket === this.#socket) this.#onData(event.data);
    };
    socket.onclose = (event) => {
      if (socket === this.#socket) this.#onClose(event.code, event.reason);
    };
    socket.onerror = () => {
      // A close event should follow and decide what happens next. Some
      // implementations (Node 20's experimental WebSocket) never send it
      // after a failed connect, so give up on the socket if it does not come.
      setTimeout(() => {
        if (socket !== this.#socket) return;
        socket.onclose = socket.onmessage = socket.onerror = null;
        try {
          socket.close();
        } catch {
          // Not open yet, or already closing.
        }
        this.#onClose(1006, 'connection failed');
      }, ERROR_CLOSE_GRACE_MS);
    };
    this.#socket = socket;
  }

  #setState(state) {
    if (this.connectionState === state) return;
    this.connectionState = state;
    this.emit('connectionState', state);
  }

  #onClose(code, reason) {
    this.#socket = null;
    this.#open = false;
    this.#interrupted();
    if (this.#terminal) return;

    if (this.#closing) {
      this.#finish(new JigsyncError(CLIENT_ERROR_CODES.closed, 'the client was closed'));
    } else if (this.#left || this.#leaving) {
      this.#finish(new JigsyncError(CLIENT_ERROR_CODES.closed, 'you left the room'));
    } else if (code === CLOSE_UNAUTHORIZED) {
      const err = new JigsyncError('unauthorized', reason || 'the token is not valid for this room');
      this.emit('error', err);
      this.#finish(err);
    } else if (code === CLOSE_KICKED) {
      this.emit('kicked', { code, reason });
      this.#finish(new JigsyncError('forbidden', reason || 'you were removed from the room'));
    } else if (code === CLOSE_ROOM_GONE) {
      this.emit('roomClosed', { code, reason });
      this.#finish(new JigsyncError('not_found', reason || 'the room is closed'));
    } else {
      this.#scheduleReconnect();
    }
  }

  #scheduleReconnect() {
    const policy = this.#reconnect;
    if (!policy || this.#attempt >= policy.maxAttempts) {
      this.#finish(new JigsyncError(CLIENT_ERROR_CODES.disconnected, 'the connection was lost'));
      return;
    }
    // Before the first welcome the page is still "connecting".
    this.#setState(this.#hadWelcome ? 'reconnecting' : 'connecting');
    const cap = Math.min(policy.maxDelay, policy.baseDelay * policy.factor ** this.#attempt);
    this.#attempt += 1;
    const delay = Math.random() * cap; // full jitter
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      this.#connect();
    }, delay);
  }

  /** The socket is gone: settle or park whatever was in flight. */
  #interrupted() {
    for (const entry of this.#pending.values()) {
      clearTimeout(entry.timer);
      entry.timer = null;
      if (entry.board) {
        // A board write: kept in its board's outbox, re-sent after the resume.
        entry.sent = false;
        entry.msg.release = null; // soft locks do not survive a reconnect
      } else {
        entry.reject(new JigsyncError(CLIENT_ERROR_CODES.disconnected, 'the connection dropped before an answer came'));
      }
    }
    this.#pending.clear();
    // Locks are not listed anywhere: after a reconnect every piece is free
    // until a `grab` frame says otherwise.
    for (const board of this.#boards.values()) {
      board.locks.clear();
      board.released.clear();
    }
  }

  /** Ends the client for good: rejects everything still waiting. */
  #finish(err) {
    if (this.#terminal) return;
    this.#terminal = true;
    this.#open = false;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    this.#throttle.close();
    this.uploads.close();
    for (const entry of this.#pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(err);
    }
    this.#pending.clear();
    for (const entry of this.#offlineQueue) entry.reject(err);
    this.#offlineQueue = [];
    for (const board of this.#boards.values()) {
      for (const entry of board.outbox) if (!entry.settled) entry.reject(err);
      board.outbox = [];
    }
    this.#readyReject(err); // no effect once `ready` has resolved
    this.#setState('closed');
  }

  // -------------------------------------------------------------------------
  // Requests

  #allocRef() {
    let ref = this.#nextRef;
    while (this.#pending.has(ref)) ref = ref >= 0xffffffff ? 1 : ref + 1;
    this.#nextRef = ref >= 0xffffffff ? 1 : ref + 1;
    return ref;
  }

  #newEntry(msg, board, resolve, reject) {
    const entry = { msg, board, sent: false, settled: false, timer: null };
    entry.resolve = (value) => {
      if (entry.settled) return;
      entry.settled = true;
      clearTimeout(entry.timer);
      resolve(value);
    };
    entry.reject = (err) => {
      if (entry.settled) return;
      entry.settled = true;
      clearTimeout(entry.timer);
      reject(err);
    };
    return entry;
  }

  #request(msg, { queueOffline = false } = {}) {
    return new Promise((resolve, reject) => {
      const entry = this.#newEntry(msg, null, resolve, reject);
      if (this.#terminal) {
        entry.reject(new JigsyncError(CLIENT_ERROR_CODES.closed, 'the client is closed'));
      } else if (this.#open) {
        this.#send(entry);
      } else if (!queueOffline) {
        entry.reject(new JigsyncError(CLIENT_ERROR_CODES.disconnected, `not connected (${this.connectionState})`));
      } else if (this.#offlineQueue.length >= this.#options.offlineQueueLimit) {
        entry.reject(
          new JigsyncError(
            CLIENT_ERROR_CODES.queueFull,
            `offline: ${this.#offlineQueue.length} messages are already waiting to be sent`,
          ),
        );
      } else {
        this.#offlineQueue.push(entry);
      }
    });
  }

  /** A board write: queued in the board's outbox, sent now if connected. */
  #write(board, update, release) {
    return new Promise((resolve, reject) => {
      const msg = { type: 'update', board: board.id, update, release };
      const entry = this.#newEntry(msg, board, resolve, reject);
      if (this.#terminal) {
        entry.reject(new JigsyncError(CLIENT_ERROR_CODES.closed, 'the client is closed'));
        return;
      }
      board.outbox.push(entry);
      const forget = () => {
        board.outbox = board.outbox.filter((e) => e !== entry);
      };
      const { resolve: done, reject: failed } = entry;
      entry.resolve = (value) => {
        forget();
        done(value);
      };
      entry.reject = (err) => {
        forget();
        failed(err);
      };
      if (this.#open && !this.#awaitingBoards) this.#send(entry);
    });
  }

  #send(entry) {
    const ref = this.#allocRef();
    entry.msg.ref = ref;
    let bytes;
    try {
      bytes = encodeClientMsg(entry.msg);
    } catch (err) {
      entry.reject(err);
      return;
    }
    if (bytes.length > MAX_FRAME_BYTES) {
      // The server would refuse it (and count a strike against this connection).
      entry.reject(
        new JigsyncError('too_large', `the ${entry.msg.type} frame is ${bytes.length} bytes; the limit is ${MAX_FRAME_BYTES}`),
      );
      return;
    }
    entry.sent = true;
    this.#pending.set(ref, entry);
    entry.timer = setTimeout(() => {
      if (this.#pending.get(ref) !== entry) return;
      this.#pending.delete(ref);
      entry.reject(
        new JigsyncError(CLIENT_ERROR_CODES.timeout, `no answer to ${entry.msg.type} within ${this.#options.requestTimeout} ms`, {
          ref,
        }),
      );
    }, this.#options.requestTimeout);
    this.#socket.send(bytes);
  }

  /** A frame without an answer (mv): sent only while connected, else dropped. */
  #sendFrame(msg) {
    if (!this.#open) return;
    this.#socket.send(encodeClientMsg(msg));
  }

  async #http(method, route, { json, form, binary } = {}) {
    if (this.#terminal) throw new JigsyncError(CLIENT_ERROR_CODES.closed, 'the client is closed');
    if (!this.roomId) await this.ready;
    return httpRequest(this.#url, method, route(encodeURIComponent(this.roomId)), {
      token: this.#token,
      json,
      form,
      binary,
      timeoutMs: this.#options.requestTimeout,
      fetch: this.#options.fetch,
    });
  }

  // -------------------------------------------------------------------------
  // Incoming frames

  #onData(data) {
    if (typeof data === 'string') return; // the server sends only binary frames
    let bytes;
    if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
    else if (data instanceof Uint8Array) bytes = data;
    else return;
    let msg;
    try {
      msg = decodeServerMsg(bytes);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      this.emit('error', new JigsyncError('malformed', `a frame from the server did not decode: ${err.message}`));
      return;
    }
    this.#dispatch(msg);
  }

  #dispatch(msg) {
    switch (msg.type) {
      case 'welcome':
        return this.#onWelcome(msg);
      case 'ack':
        return this.#onAnswer(msg.ref, (entry) => entry.resolve({ seq: msg.seq }));
      case 'error':
        return this.#onServerError(msg);
      case 'msg': {
        const { type, ...message } = msg;
        return this.#deliver(message);
      }
      case 'presence':
        return this.#onPresence(msg);
      case 'owner':
        this.owner = msg.user;
        return this.emit('owner', { user: msg.user });
      case 'boards':
        return this.#onBoards(msg);
      case 'doc':
      case 'update':
        return this.#onBoardUpdate(msg);
      case 'motion':
        return this.#onMotion(msg);
      case 'grab':
        return this.#onGrab(msg);
      case 'release':
        return this.#onRelease(msg);
      case 'progress':
        return this.#onProgress(msg);
      case 'joining':
        this.joinLocked = msg.locked;
        return this.emit('joining', { locked: msg.locked });
      case 'chatrules': {
        const { type, ...rules } = msg;
        this.chatRules = rules;
        return this.emit('chatrules', rules);
      }
      default:
        return undefined;
    }
  }

  #onAnswer(ref, settle) {
    const entry = ref === null ? undefined : this.#pending.get(ref);
    if (!entry) return false;
    this.#pending.delete(ref);
    settle(entry);
    return true;
  }

  #onServerError(msg) {
    const err = new JigsyncError(msg.code, msg.message, { ref: msg.ref });
    // Errors with no request of ours waiting (e.g. refused moves) are events.
    if (!this.#onAnswer(msg.ref, (entry) => entry.reject(err))) this.emit('error', err);
  }

  #onWelcome(msg) {
    const resumed = this.#resuming;
    this.#open = true;
    this.#attempt = 0;
    this.me = msg.me;
    this.roomId = msg.room;
    this.roomName = msg.roomName;
    const ownerChanged = this.#hadWelcome && this.owner !== msg.owner;
    this.owner = msg.owner;
    const joiningChanged = this.#hadWelcome && this.joinLocked !== msg.joinLocked;
    this.joinLocked = msg.joinLocked;
    this.chatRules = msg.chat;
    // Before anything is shown: history and boards may hold pictures.
    this.uploads.set(msg.uploadGrant);
    this.participantsById = new Map(msg.participants.map((p) => [p.id, p]));
    const first = !this.#hadWelcome;
    this.#hadWelcome = true;
    this.#awaitingBoards = true;
    this.#setState('open');
    const { type, ...welcome } = msg;
    this.emit('welcome', { ...welcome, resumed });
    if (first) this.#firstWelcome = welcome;
    this.emit('participants', this.participants);
    if (ownerChanged) this.emit('owner', { user: msg.owner });
    if (joiningChanged) this.emit('joining', { locked: msg.joinLocked });
    this.emit('chatrules', msg.chat);
    for (const message of msg.history) this.#deliver(message);
    // Chat written while offline goes out once, in order.
    const queued = this.#offlineQueue;
    this.#offlineQueue = [];
    for (const entry of queued) this.#send(entry);
  }

  /** Emits a message once: seqs only grow, so anything at or below the last seen is a repeat. */
  #deliver(message) {
    if (message.seq <= this.lastSeq) return;
    this.lastSeq = message.seq;
    this.emit('message', message);
  }

  #onPresence(msg) {
    const { participant } = msg;
    if (msg.event === 'leave') {
      this.participantsById.delete(participant.id);
    } else {
      this.participantsById.set(participant.id, participant);
    }
    if (this.me && participant.id === this.me.id && msg.event !== 'leave') this.me = participant;
    this.emit('presence', { event: msg.event, participant, count: msg.count });
    this.emit('participants', this.participants);
  }

  #onBoards(msg) {
    const listed = new Set();
    for (const info of msg.boards) {
      listed.add(info.boardId);
      const board = this.#boards.get(info.boardId);
      if (board) board.info = info;
      else this.#boards.set(info.boardId, new Board(this.#host, info.boardId, info));
    }
    // Boards no longer listed are gone for this user (a new puzzle gives new ids).
    for (const [id, board] of this.#boards) {
      if (listed.has(id)) continue;
      this.#boards.delete(id);
      const err = new JigsyncError('not_found', `board ${id} is no longer visible`);
      for (const entry of [...board.outbox]) entry.reject(err);
      board.destroy();
    }
    this.currentSpotlight = msg.spotlight;
    const initial = this.#awaitingBoards;
    this.#awaitingBoards = false;
    this.emit('boards', { boards: msg.boards, spotlight: msg.spotlight });
    if (initial && this.#firstWelcome) {
      // `ready` waits for every listed board's first `doc` (whole, or the
      // answer to the resume's `sync`), so replicas are filled by then.
      this.#readyBoards = new Set(listed);
      this.#checkReady();
    }
    if (initial) this.#afterInitialBoards();
  }

  #checkReady() {
    if (!this.#firstWelcome || this.#readyBoards === null || this.#readyBoards.size > 0) return;
    const welcome = this.#firstWelcome;
    this.#firstWelcome = null;
    this.#readyBoards = null;
    this.#readyResolve(welcome);
  }

  /** Right after a (re)connect's first `boards`: catch up every replica, then re-send parked writes. */
  #afterInitialBoards() {
    for (const board of this.#boards.values()) {
      if (board.needsRebuild) {
        board.rebuild().catch(() => {});
      } else if (this.#resuming) {
        // A resuming connection gets no `doc`: ask for what this replica lacks.
        const sv = Y.encodeStateVector(board.doc);
        this.#request({ type: 'sync', board: board.id, sv }).catch((err) => this.#reportSyncError(err));
      }
      for (const entry of board.outbox) if (!entry.sent && this.#open) this.#send(entry);
    }
    if (this.#resuming && this.#focus !== null) {
      const board = this.#focus;
      if (!this.#boards.has(board)) {
        this.#focus = null;
      } else {
        this.#request({ type: 'focus', board }).catch(() => {
          // The next reconnect tries again; motion still arrives at thumbnail rate.
        });
      }
    }
  }

  #reportSyncError(err) {
    if (err.code !== CLIENT_ERROR_CODES.disconnected && err.code !== CLIENT_ERROR_CODES.closed) {
      this.emit('error', err);
    }
  }

  /**
   * Asks for a board's whole document to rebuild its replica (Board.rebuild).
   * The `doc` answering this `sync` replaces the replica's Y.Doc. If the
   * connection drops first, the next resume does it.
   */
  async #resync(board) {
    if (!this.#open || this.#awaitingBoards) return; // #afterInitialBoards will call rebuild()
    board.expectWholeDoc = true;
    try {
      await this.#request({ type: 'sync', board: board.id, sv: new Uint8Array(0) });
    } catch (err) {
      this.#reportSyncError(err);
    } finally {
      board.expectWholeDoc = false;
    }
  }

  #boardFor(id) {
    let board = this.#boards.get(id);
    if (!board) {
      // A frame for a board not listed yet: keep its data; `boards` fills in the info.
      board = new Board(this.#host, id, null);
      this.#boards.set(id, board);
    }
    return board;
  }

  #onBoardUpdate(msg) {
    const board = this.#boardFor(msg.board);
    const replace = msg.type === 'doc' && board.expectWholeDoc;
    try {
      if (replace) {
        board.expectWholeDoc = false;
        board.replaceDoc(msg.update);
      } else {
        board.applyRemote(msg.update);
      }
    } catch (err) {
      this.emit('error', new JigsyncError('malformed', `board ${msg.board}: the update did not apply: ${err.message}`));
      return;
    }
    const by = msg.type === 'update' ? msg.by : null;
    this.emit('board', { boardId: msg.board, origin: 'remote', by, replaced: replace });
    if (msg.type === 'doc' && this.#readyBoards?.delete(msg.board)) this.#checkReady();
  }

  #onMotion(msg) {
    // Motion is not ordered with the state lane: a position can arrive after
    // the drop that ended its drag. Ignore positions of pieces known released.
    const moves = msg.moves.filter((m) => !this.#boards.get(m.board)?.released.has(m.piece));
    if (moves.length > 0) this.emit('motion', { moves });
  }

  #onGrab(msg) {
    const board = this.#boardFor(msg.board);
    board.locks.set(msg.piece, msg.by);
    board.released.delete(msg.piece);
    this.emit('grab', { board: msg.board, piece: msg.piece, by: msg.by });
  }

  #onRelease(msg) {
    const board = this.#boardFor(msg.board);
    board.locks.delete(msg.piece);
    board.released.add(msg.piece);
    this.emit('release', { board: msg.board, piece: msg.piece });
  }

  #onProgress(msg) {
    const board = this.#boards.get(msg.board);
    if (board?.info) board.info = { ...board.info, progress: msg.progress, done: msg.done };
    this.emit('progress', { board: msg.board, progress: msg.progress, done: msg.done });
  }
}

/**
 * Connects to a room channel. Returns the client at once (attach listeners,
 * then `await client.ready` for the first welcome).
 *
 * @param {string} url  the server: http(s)://host:port or ws(s)://host:port
 * @param {object} options
 * @param {string} options.token  from createRoom / joinRoom
 * @param {number} [options.requestTimeout=10000]  ms to wait for an ack
 * @param {false | { baseDelay?: number, factor?: number, maxDelay?: number, maxAttempts?: number }} [options.reconnect]
 * @param {number} [options.offlineQueueLimit=50]  chat/whisper kept while offline
 * @param {number} [options.moveHz=30]  drag positions per second per piece
 * @param {number} [options.since]  resume after this seq on the first connection too
 * @param {typeof WebSocket} [options.WebSocket]  a WebSocket implementation
 * @param {typeof fetch} [options.fetch]  a fetch implementation for the HTTP routes
 */
export function connect(url, options) {
  return new JigsyncClient(url, options);
}

