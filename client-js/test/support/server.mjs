// Test support for the interop tests: a real `jigsync` process per test, the
// HTTP calls a classroom makes, a PNG to upload, and two kinds of board client
// (the MessagePack room channel and a stock y-websocket provider).

import { deflateSync } from 'node:zlib';
import { test } from 'node:test';

import { encode, decode } from '@msgpack/msgpack';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';

import { startServer } from './jigsync-process.mjs';

/** Upper bound for any single wait in these tests. */
export const WAIT_MS = 10_000;

// ---------------------------------------------------------------------------
// The server process: ./jigsync-process.mjs

export { jigsyncBin, startServer } from './jigsync-process.mjs';

/** Things to undo after a test, undone last-in first-out. */
export class Cleanup {
  #steps = [];
  add(step) {
    this.#steps.push(step);
  }
  async run() {
    while (this.#steps.length > 0) {
      const step = this.#steps.pop();
      try {
        await step();
      } catch {
        // A failed cleanup step must not hide the test's own result.
      }
    }
  }
}

/**
 * A node:test test with its own server. `fn` gets { t, server, cleanup }.
 * On failure the server's log tail is printed as a diagnostic. `args` are
 * extra server flags.
 */
export function serverTest(name, fn, { args = [] } = {}) {
  test(name, { timeout: 60_000 }, async (t) => {
    const server = await startServer({ args });
    const cleanup = new Cleanup();
    try {
      await fn({ t, server, cleanup });
    } catch (err) {
      t.diagnostic(`server log tail:\n${server.logTail()}`);
      throw err;
    } finally {
      await cleanup.run();
      await server.stop();
    }
  });
}

// ---------------------------------------------------------------------------
// HTTP

/** One JSON (or multipart) request; resolves to { status, body }. */
export async function api(server, method, route, { token, json, form } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  let body;
  if (json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  const res = await fetch(server.http + route, {
    method,
    headers,
    body,
    signal: AbortSignal.timeout(WAIT_MS),
  });
  const text = await res.text();
  let parsed;
  try {
    parsed = text.length > 0 ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed };
}

async function expectStatus(promise, status, what) {
  const res = await promise;
  if (res.status !== status) {
    throw new Error(`${what}: expected HTTP ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

export function createRoom(server, name = 'Interop 5B', teacherName = 'Ms Park') {
  return expectStatus(api(server, 'POST', '/api/rooms', { json: { name, teacherName } }), 201, 'POST /api/rooms');
}

export function joinRoom(server, joinCode, name) {
  return expectStatus(api(server, 'POST', '/api/join', { json: { joinCode, name } }), 200, 'POST /api/join');
}

export function uploadPicture(server, roomId, token, png) {
  const form = new FormData();
  form.append('file', new Blob([png], { type: 'image/png' }), 'picture.png');
  return expectStatus(
    api(server, 'POST', `/api/rooms/${roomId}/uploads`, { token, form }),
    201,
    'POST /api/rooms/{roomId}/uploads',
  );
}

export function startPuzzle(server, roomId, teacherToken, request) {
  return expectStatus(
    api(server, 'POST', `/api/rooms/${roomId}/puzzles`, { token: teacherToken, json: request }),
    201,
    'POST /api/rooms/{roomId}/puzzles',
  );
}

export function listBoards(server, roomId, token) {
  return expectStatus(api(server, 'GET', `/api/rooms/${roomId}/boards`, { token }), 200, 'GET /api/rooms/{roomId}/boards');
}

// ---------------------------------------------------------------------------
// A real PNG, built here so the server has an IHDR to read the size from.

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const typeBytes = Buffer.from(type, 'ascii');
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  typeBytes.copy(out, 4);
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(Buffer.concat([typeBytes, Buffer.from(data)])), 8 + data.length);
  return out;
}

/** An 8-bit RGB PNG of `width`×`height` with a colour gradient. */
export function buildPng(width = 4, height = 3) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour
  ihdr[10] = 0; // compression
  ihdr[11] = 0; // filter
  ihdr[12] = 0; // interlace
  const rowBytes = 1 + width * 3;
  const raw = Buffer.alloc(rowBytes * height);
  for (let y = 0; y < height; y++) {
    raw[y * rowBytes] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const at = y * rowBytes + 1 + x * 3;
      raw[at] = (x * 255) / Math.max(1, width - 1);
      raw[at + 1] = (y * 255) / Math.max(1, height - 1);
      raw[at + 2] = 128;
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---------------------------------------------------------------------------
// Board records

export const META_KEYS = ['image', 'rows', 'cols', 'pieceWidth', 'pieceHeight', 'seed', 'width', 'height'];

/** A BoardInfo as the room channel sends it (an array) turned into an object. */
export function boardInfoFromWire(fields) {
  const [boardId, puzzleId, mode, members, locked, progress, done, meta] = fields;
  return {
    boardId,
    puzzleId,
    mode,
    members,
    locked,
    progress,
    done,
    meta: Object.fromEntries(META_KEYS.map((key, i) => [key, meta[i]])),
  };
}

// ---------------------------------------------------------------------------
// The room channel (/ws): MessagePack frames, one-entry maps {tag: fields}.

export class RoomClient {
  constructor(socket) {
    this.socket = socket;
    /** Every frame received, in order: { tag, fields, index }. */
    this.frames = [];
    this.closeEvent = null;
    this.nextRef = 1;
    this.#waiters = new Set();
    socket.on('message', (data, isBinary) => {
      let frame;
      if (!isBinary) {
        frame = { tag: '<text>', fields: data.toString() };
      } else {
        const value = decode(data);
        const tags = value && typeof value === 'object' ? Object.keys(value) : [];
        frame = tags.length === 1 ? { tag: tags[0], fields: value[tags[0]] } : { tag: '<not a one-entry map>', fields: value };
      }
      frame.index = this.frames.length;
      this.frames.push(frame);
      for (const waiter of [...this.#waiters]) waiter.check(frame);
    });
    socket.on('close', (code, reason) => {
      this.closeEvent = { code, reason: reason.toString() };
      for (const waiter of [...this.#waiters]) waiter.closed(this.closeEvent);
    });
  }

  #waiters;

  send(message) {
    this.socket.send(encode(message));
  }

  /** The tags of the frames received from `from` on, for failure messages. */
  tagsSince(from = 0) {
    return this.frames.slice(from).map((f) => f.tag).join(', ') || '(none)';
  }

  /**
   * Resolves with the first frame at index >= `from` for which `predicate`
   * holds; rejects after `timeout` ms or when the socket closes first.
   */
  waitFor(predicate, { from = 0, timeout = WAIT_MS, what = 'a matching frame' } = {}) {
    for (let i = from; i < this.frames.length; i++) {
      if (predicate(this.frames[i])) return Promise.resolve(this.frames[i]);
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        check: (frame) => {
          if (frame.index >= from && predicate(frame)) {
            finish();
            resolve(frame);
          }
        },
        closed: ({ code, reason }) => {
          finish();
          reject(new Error(`/ws closed (${code} ${reason}) while waiting for ${what}; frames since: ${this.tagsSince(from)}`));
        },
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`waited ${timeout} ms on /ws for ${what} in vain; frames since: ${this.tagsSince(from)}`));
      }, timeout);
      const finish = () => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      if (this.closeEvent) {
        waiter.closed(this.closeEvent);
        return;
      }
      this.#waiters.add(waiter);
    });
  }

  /**
   * Sends `{tag: [ref, ...rest]}` and resolves with the `ack` or `error`
   * frame that carries the same ref, plus the index the request was sent at.
   */
  async request(tag, rest) {
    const ref = this.nextRef++;
    const sentAt = this.frames.length;
    this.send({ [tag]: [ref, ...rest] });
    const reply = await this.waitFor(
      (f) => (f.tag === 'ack' || f.tag === 'error') && Array.isArray(f.fields) && f.fields[0] === ref,
      { from: sentAt, what: `ack or error for ${tag} ref ${ref}` },
    );
    return { ref, reply, sentAt };
  }

  /**
   * `sync` with an empty state vector: resolves with the board's whole state
   * (the `doc` diff sent before the ack) as a Uint8Array.
   */
  async fetchBoardState(boardId) {
    const emptyStateVector = Y.encodeStateVector(new Y.Doc());
    const { ref, reply, sentAt } = await this.request('sync', [boardId, emptyStateVector]);
    if (reply.tag !== 'ack') {
      throw new Error(`sync ref ${ref} for board ${boardId} was refused: ${JSON.stringify(reply.fields)}`);
    }
    const docs = this.frames
      .slice(sentAt, reply.index)
      .filter((f) => f.tag === 'doc' && f.fields[0] === boardId);
    if (docs.length === 0) {
      throw new Error(`sync ref ${ref}: ack came without a doc frame for board ${boardId}; frames: ${this.tagsSince(sentAt)}`);
    }
    return docs[docs.length - 1].fields[1];
  }

  async close() {
    if (this.closeEvent) return;
    const closed = new Promise((resolve) => this.socket.once('close', resolve));
    this.socket.close(1000);
    const timer = setTimeout(() => this.socket.terminate(), 2_000);
    await closed;
    clearTimeout(timer);
  }
}

/**
 * Opens a WebSocket and resolves once it is open. `attach` runs on the new
 * socket before anything can arrive, so no early frame is missed.
 */
function openSocket(url, attach) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const attached = attach(socket);
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`${url} did not open within ${WAIT_MS} ms`));
    }, WAIT_MS);
    socket.once('open', () => {
      clearTimeout(timer);
      resolve(attached);
    });
    socket.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      socket.terminate();
      reject(new Error(`${url} refused the upgrade with HTTP ${res.statusCode}`));
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/**
 * Connects to the room channel and waits for what a fresh connection gets:
 * `welcome`, then `boards`, then a `doc` for every board listed.
 * Resolves with { client, boards: [BoardInfo objects], docs: Map(boardId → update) }.
 */
export async function openRoomChannel(server, token, cleanup) {
  const client = await openSocket(`${server.ws}/ws?token=${encodeURIComponent(token)}`, (socket) => new RoomClient(socket));
  cleanup.add(() => client.close());
  const first = await client.waitFor(() => true, { what: 'the first frame' });
  if (first.tag !== 'welcome') {
    throw new Error(`first /ws frame was ${first.tag}, expected welcome`);
  }
  const boardsFrame = await client.waitFor((f) => f.tag === 'boards', { what: 'the boards frame' });
  const boards = boardsFrame.fields[0].map(boardInfoFromWire);
  const docs = new Map();
  for (const board of boards) {
    const frame = await client.waitFor((f) => f.tag === 'doc' && f.fields[0] === board.boardId, {
      from: boardsFrame.index,
      what: `the doc frame of board ${board.boardId}`,
    });
    docs.set(board.boardId, frame.fields[1]);
  }
  return { client, boards, docs, spotlight: boardsFrame.fields[1] };
}

// ---------------------------------------------------------------------------
// Yjs helpers

export function docFromUpdate(update) {
  const doc = new Y.Doc();
  if (update) Y.applyUpdate(doc, update);
  return doc;
}

/** Runs `change` in one transaction on `doc` and returns the Yjs v1 update it made. */
export function captureUpdate(doc, change) {
  const parts = [];
  const onUpdate = (update) => parts.push(update);
  doc.on('update', onUpdate);
  try {
    doc.transact(() => change(doc));
  } finally {
    doc.off('update', onUpdate);
  }
  if (parts.length === 0) throw new Error('the change produced no Yjs update');
  return parts.length === 1 ? parts[0] : Y.mergeUpdates(parts);
}

export function pieceOf(doc, index) {
  return doc.getMap('pieces').get(String(index));
}

/** Resolves once `check(doc)` is true, re-checking after every update. */
export function waitForDoc(doc, check, { timeout = WAIT_MS, what = 'the expected document state', describe } = {}) {
  if (check(doc)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onUpdate = () => {
      if (check(doc)) {
        finish();
        resolve();
      }
    };
    const timer = setTimeout(() => {
      finish();
      const now = describe ? `; now: ${describe(doc)}` : '';
      reject(new Error(`${what} not reached within ${timeout} ms${now}`));
    }, timeout);
    const finish = () => {
      clearTimeout(timer);
      doc.off('update', onUpdate);
    };
    doc.on('update', onUpdate);
  });
}

// ---------------------------------------------------------------------------
// A stock y-websocket provider on /yjs/{roomId}/{boardId}

/**
 * Creates a WebsocketProvider exactly as an app would, with Node's `ws` as
 * the WebSocket. BroadcastChannel is off so that two providers in this one
 * process can only reach each other through the server.
 * Resolves with { doc, provider, closes } where `closes` lists close codes.
 */
export function openProvider(server, roomId, boardId, token, cleanup) {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(`${server.ws}/yjs/${roomId}`, `${boardId}`, doc, {
    params: { token },
    WebSocketPolyfill: WebSocket,
    disableBc: true,
    maxBackoffTime: 1_000,
  });
  const closes = [];
  provider.on('connection-close', (event) => {
    if (event) closes.push(event.code);
  });
  cleanup.add(() => {
    provider.destroy();
    provider.awareness.destroy();
    doc.destroy();
  });
  return { doc, provider, closes };
}

/**
 * Resolves with { synced: true } once the provider finished the sync
 * handshake, or { closeCode } if the server closed the socket before that.
 */
export function providerOutcome(provider, { timeout = WAIT_MS } = {}) {
  if (provider.synced) return Promise.resolve({ synced: true });
  return new Promise((resolve, reject) => {
    const onSync = (state) => {
      if (state) {
        finish();
        resolve({ synced: true });
      }
    };
    const onClose = (event) => {
      if (event) {
        finish();
        resolve({ closeCode: event.code, reason: event.reason });
      }
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`y-websocket provider neither synced nor was closed within ${timeout} ms`));
    }, timeout);
    const finish = () => {
      clearTimeout(timer);
      provider.off('sync', onSync);
      provider.off('connection-close', onClose);
    };
    provider.on('sync', onSync);
    provider.on('connection-close', onClose);
  });
}

export async function waitSynced(provider, what) {
  const outcome = await providerOutcome(provider);
  if (!outcome.synced) {
    throw new Error(`${what}: the server closed /yjs with ${outcome.closeCode} ${outcome.reason ?? ''} instead of syncing`);
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
