// Helpers for the client library's tests: a classroom built through the
// library itself (rooms, joins, a puzzle), clients that close themselves at
// cleanup, and waits on client events with bounded timeouts.

import { decode } from '../../src/codec.js';
import { connect, createRoom, joinRoom } from '../../src/index.js';
import { WAIT_MS, buildPng } from './server.mjs';

import WebSocket from 'ws';

/** A 1×1 GIF89a (one white pixel). */
export const TINY_GIF = Uint8Array.from([
  0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00,
  0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
  0x02, 0x44, 0x01, 0x00, 0x3b,
]);

/** Connects a client that `cleanup` closes; resolves once it is welcomed. */
export async function openClient(server, token, cleanup, options = {}) {
  const client = connect(server.http, { token, ...options });
  cleanup.add(() => client.close());
  const events = recordEvents(client);
  await withTimeout(client.ready, 'the welcome');
  return Object.assign(client, { events });
}

/**
 * Records every event of a client, in order, so tests can wait for one that
 * may already have happened: events.waitFor(name, predicate).
 */
export function recordEvents(client) {
  const NAMES = [
    'welcome', 'participants', 'presence', 'owner', 'message', 'error', 'boards', 'board', 'motion',
    'grab', 'release', 'progress', 'kicked', 'roomClosed', 'connectionState', 'joining', 'chatrules',
  ];
  const log = [];
  const waiters = new Set();
  for (const name of NAMES) {
    client.on(name, (payload) => {
      log.push({ name, payload });
      for (const waiter of [...waiters]) waiter();
    });
  }
  return {
    log,
    of: (name) => log.filter((e) => e.name === name).map((e) => e.payload),
    /** Resolves with the first event `name` (from index `from` on) for which `predicate` holds. */
    waitFor(name, predicate = () => true, { from = 0, timeout = WAIT_MS, what } = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (let i = from; i < log.length; i++) {
            if (log[i].name === name && predicate(log[i].payload)) {
              finish();
              resolve(log[i].payload);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`${what ?? `a ${name} event`} did not come within ${timeout} ms`));
        }, timeout);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

export function withTimeout(promise, what, timeout = WAIT_MS) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not happen within ${timeout} ms`)), timeout);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Resolves once `check()` is true, polling every 20 ms. */
export async function eventually(check, what, timeout = WAIT_MS) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (check()) return;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A room with a teacher (connected) and students (joined, not connected);
 * with `mode`, a puzzle of rows × cols is running.
 */
export async function classroom(server, cleanup, { students = [], mode, rows = 2, cols = 2, teacherOptions } = {}) {
  const room = await createRoom(server.http, { name: '5B Maths', teacherName: 'Ms Park' });
  const joined = [];
  for (const name of students) joined.push(await joinRoom(server.http, { joinCode: room.joinCode, name }));
  const teacher = await openClient(server, room.teacherToken, cleanup, teacherOptions);
  let puzzle = null;
  if (mode) {
    const picture = await teacher.upload(buildPng(8, 6), 'picture.png');
    puzzle = await teacher.startPuzzle({ uploadId: picture.uploadId, rows, cols, mode });
  }
  return { room, teacher, students: joined, puzzle };
}

/** Waits until a client's replica of a board has every piece of the puzzle. */
export async function boardReady(client, boardId) {
  await eventually(() => {
    const board = client.board(boardId);
    return board && board.meta && board.pieces().every(Boolean);
  }, `board ${boardId} on ${client.me?.name}'s client`);
  return client.board(boardId);
}

/** The pieces of a board as plain JSON, for comparing replicas. */
export function piecesJson(board) {
  return board.doc.getMap('pieces').toJSON();
}

/**
 * A `ws` WebSocket that records every frame the client sends, decoded, and
 * can be cut off from the server (connections then go to a closed port, as
 * if the network were down).
 */
export function instrumentedWebSocket() {
  const sent = [];
  const network = { up: true };
  class InstrumentedWebSocket extends WebSocket {
    constructor(url, protocols) {
      super(network.up ? url : url.replace(/\/\/127\.0\.0\.1:\d+/, '//127.0.0.1:1'), protocols);
    }

    send(data, ...rest) {
      sent.push({ at: performance.now(), msg: decode('ClientMsg', data) });
      return super.send(data, ...rest);
    }
  }
  return { WebSocket: InstrumentedWebSocket, sent, network };
}
