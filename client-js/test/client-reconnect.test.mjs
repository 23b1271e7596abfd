// Reconnect and resume against a real server that is restarted on the same
// port and data dir: missed chat arrives once, nothing is shown twice, chat
// written while offline is sent once, and boards catch up by state vector.

import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';

import {
  boardReady,
  classroom,
  eventually,
  instrumentedWebSocket,
  openClient,
  piecesJson,
  withTimeout,
} from './support/classroom.mjs';
import { serverTest } from './support/server.mjs';

const FAST_RECONNECT = { baseDelay: 20, maxDelay: 200 };

serverTest('after a server restart both clients resume: missed chat once, offline chat sent once, boards synced', async ({ server, cleanup }) => {
  // The teacher's network can be cut, so she stays away while Ben talks.
  const teacherWire = instrumentedWebSocket();
  const { teacher, students: [ben], puzzle } = await classroom(server, cleanup, {
    students: ['Ben'],
    mode: 'individual',
    rows: 2,
    cols: 3,
    teacherOptions: { WebSocket: teacherWire.WebSocket, reconnect: FAST_RECONNECT },
  });
  const boardId = puzzle.boards[0].boardId;
  const student = await openClient(server, ben.token, cleanup, { reconnect: FAST_RECONNECT });
  const benBoard = await boardReady(student, boardId);
  const teacherBoard = await boardReady(teacher, boardId);

  await teacher.focus(boardId);
  const before = [await student.chat('one'), await student.chat('two')];
  await teacher.events.waitFor('message', (m) => m.seq === before[1].seq);

  // Server down; the teacher's network too.
  teacherWire.network.up = false;
  await server.stopProcess();
  await student.events.waitFor('connectionState', (s) => s === 'reconnecting');
  await teacher.events.waitFor('connectionState', (s) => s === 'reconnecting');

  // Offline: chat waits in the queue, a drop is applied locally and parked.
  const offlineChat = student.chat('written offline');
  const offlineDrop = student.board(boardId).drop(5, 123.5, 87.25);
  // Awaited below; if the test fails before that, their rejection at cleanup is not the news.
  offlineChat.catch(() => {});
  offlineDrop.catch(() => {});
  await assert.rejects(student.focus(null), { code: 'disconnected' });

  await server.startProcess();
  const resumed = await student.events.waitFor('welcome', (w) => w.resumed);
  assert.equal(resumed.me.id, ben.userId);
  const { seq: offlineSeq } = await withTimeout(offlineChat, 'the offline chat\'s ack');
  const dropped = await withTimeout(offlineDrop, 'the offline drop\'s ack');
  const after = await student.chat('three');

  // The teacher comes back after all that.
  const teacherStates = teacher.events.of('connectionState').length;
  teacherWire.network.up = true;
  const teacherWelcome = await teacher.events.waitFor('welcome', (w) => w.resumed);
  assert.ok(teacherWelcome.history.some((m) => m.seq === offlineSeq), 'the missed chat is in the resume history');
  await teacher.events.waitFor('message', (m) => m.seq === after.seq);
  assert.deepEqual(teacher.events.of('connectionState').slice(teacherStates), ['open']);

  // Every message once, in order; the missed ones included.
  const seqs = teacher.events.of('message').map((m) => m.seq);
  assert.deepEqual(seqs, [...new Set(seqs)].sort((a, b) => a - b), `teacher's message seqs ${seqs}`);
  const texts = teacher.events.of('message').filter((m) => m.kind === 'chat').map((m) => m.text);
  assert.deepEqual(texts, ['one', 'two', 'written offline', 'three']);

  // The offline chat was sent exactly once.
  const stored = await teacher.history({ limit: 50 });
  assert.equal(stored.messages.filter((m) => m.text === 'written offline').length, 1);
  const syncs = teacherWire.sent.filter((s) => s.msg.type === 'sync');
  assert.deepEqual(syncs.map((s) => s.msg.board), [boardId], 'the teacher re-synced her board by state vector');
  const focuses = teacherWire.sent.filter((s) => s.msg.type === 'focus').map((s) => s.msg.board);
  assert.deepEqual(focuses, [boardId, boardId], 'the focus (per connection) is restored after the reconnect');

  // The parked drop reached the server and, through the resume sync, the teacher.
  await eventually(
    () => isDeepStrictEqual(piecesJson(teacherBoard), piecesJson(benBoard)),
    'the teacher\'s replica caught up with Ben\'s offline drop',
  );
  assert.deepEqual(teacherBoard.piece(5), benBoard.piece(5));
  // Where the drop put it (it may have snapped to a neighbour of the random scatter).
  const { piece: _, ...written } = dropped.moves.find((m) => m.piece === 5);
  assert.deepEqual(benBoard.piece(5), written);

  // And the server stored it: a fresh connection reads the same board.
  const fresh = await openClient(server, ben.token, cleanup);
  assert.deepEqual(piecesJson(await boardReady(fresh, boardId)), piecesJson(benBoard));
});
