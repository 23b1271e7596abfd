// Board documents must be the same documents whichever way a client reaches
// them: a stock y-websocket provider on /yjs, or the MessagePack room channel
// on /ws. Each test runs its own `jigsync` process (see support/server.mjs).

import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import * as Y from 'yjs';

import {
  META_KEYS,
  buildPng,
  captureUpdate,
  createRoom,
  docFromUpdate,
  joinRoom,
  listBoards,
  openProvider,
  openRoomChannel,
  pieceOf,
  providerOutcome,
  serverTest,
  sleep,
  startPuzzle,
  uploadPicture,
  waitForDoc,
  waitSynced,
} from './support/server.mjs';

/**
 * A room with a teacher and `students`, each student connected to /ws (so
 * they are present however the server counts it), and a puzzle started.
 */
async function classroom(server, cleanup, { students, mode, rows, cols }) {
  const room = await createRoom(server);
  const joined = [];
  for (const name of students) joined.push(await joinRoom(server, room.joinCode, name));
  for (const student of joined) await openRoomChannel(server, student.token, cleanup);
  const upload = await uploadPicture(server, room.roomId, room.teacherToken, buildPng(4, 3));
  const puzzle = await startPuzzle(server, room.roomId, room.teacherToken, {
    uploadId: upload.uploadId,
    rows,
    cols,
    mode,
  });
  assert.ok(Array.isArray(puzzle.boards), `puzzle response has no boards list: ${JSON.stringify(puzzle)}`);
  return { room, students: joined, upload, puzzle };
}

/** A drop somewhere else on the board, keeping rotation and group. */
function dropFor(doc, meta, index, fx, fy) {
  const before = pieceOf(doc, index);
  assert.ok(before, `piece ${index} missing from the replica`);
  let maxZ = 0;
  for (const piece of doc.getMap('pieces').values()) maxZ = Math.max(maxZ, piece.z);
  let x = meta.width * fx;
  let y = meta.height * fy;
  if (x === before.x) x = meta.width * (fx / 2);
  if (y === before.y) y = meta.height * (fy / 2);
  return { x, y, r: before.r, z: maxZ + 1, g: before.g };
}

/**
 * A legitimate teacher drop on `board` over /ws, used as a barrier: once it
 * has arrived somewhere, anything sent to the board before it would have too.
 */
async function teacherWrite(teacherChannel, board, key) {
  assert.ok(teacherChannel.docs.has(board.boardId), `the teacher's /ws got no doc for board ${board.boardId}`);
  const replica = docFromUpdate(teacherChannel.docs.get(board.boardId));
  const value = dropFor(replica, board.meta, key, 0.25, 0.75);
  const update = captureUpdate(replica, (doc) => doc.getMap('pieces').set(key, value));
  const { reply } = await teacherChannel.client.request('update', [board.boardId, update, null]);
  assert.equal(reply.tag, 'ack', `the teacher's write to board ${board.boardId} was answered ${reply.tag} ${JSON.stringify(reply.fields)}`);
  return value;
}

/** Applies `update` frames for `boardId` to `replica` until piece `key` equals `value`. */
function waitForUpdateFrame(channel, replica, boardId, key, value, from) {
  return channel.client.waitFor(
    (f) => {
      if (f.tag !== 'update' || !Array.isArray(f.fields) || f.fields[0] !== boardId) return false;
      Y.applyUpdate(replica, f.fields[1]);
      return isDeepStrictEqual(pieceOf(replica, key), value);
    },
    { from, what: `an update frame on board ${boardId} setting piece ${key} to ${JSON.stringify(value)}` },
  );
}

function describePiece(doc, index) {
  return () => JSON.stringify(pieceOf(doc, index));
}

serverTest('a: a stock y-websocket provider syncs a shared board with its meta and every piece', async ({ server, cleanup }) => {
  const rows = 2;
  const cols = 3;
  const { room, puzzle } = await classroom(server, cleanup, { students: ['Ada'], mode: 'shared', rows, cols });

  assert.equal(puzzle.boards.length, 1, `shared mode made ${puzzle.boards.length} boards`);
  const [board] = puzzle.boards;
  assert.equal(board.mode, 'shared');
  assert.deepEqual(board.members, [], 'a shared board lists no members (it is everyone\'s)');
  assert.equal(board.meta.rows, rows);
  assert.equal(board.meta.cols, cols);

  const listed = await listBoards(server, room.roomId, room.teacherToken);
  assert.deepEqual(
    listed.boards.map((b) => b.boardId),
    [board.boardId],
    'GET /boards lists the board the puzzle made',
  );

  const teacherView = openProvider(server, room.roomId, board.boardId, room.teacherToken, cleanup);
  await waitSynced(teacherView.provider, 'teacher on /yjs');

  const meta = teacherView.doc.getMap('meta');
  for (const key of META_KEYS) {
    assert.ok(meta.has(key), `meta map lacks "${key}"; has ${JSON.stringify(meta.toJSON())}`);
    if (key !== 'image') {
      assert.equal(typeof meta.get(key), 'number', `meta.${key} is a ${typeof meta.get(key)}, not a number`);
    }
    assert.deepEqual(meta.get(key), board.meta[key], `meta.${key} in the doc differs from BoardInfo.meta`);
  }
  assert.equal(meta.get('rows'), rows);
  assert.equal(meta.get('cols'), cols);

  const pieces = teacherView.doc.getMap('pieces');
  assert.equal(pieces.size, rows * cols, `pieces map has ${pieces.size} entries`);
  const expectedKeys = Array.from({ length: rows * cols }, (_, i) => String(i));
  assert.deepEqual([...pieces.keys()].sort((a, b) => Number(a) - Number(b)), expectedKeys);
  const width = meta.get('width');
  const height = meta.get('height');
  for (const [key, piece] of pieces.entries()) {
    assert.equal(Object.getPrototypeOf(piece), Object.prototype, `piece ${key} is not a plain object`);
    assert.deepEqual(Object.keys(piece).sort(), ['g', 'r', 'x', 'y', 'z'], `piece ${key}: ${JSON.stringify(piece)}`);
    for (const field of ['x', 'y', 'r', 'z', 'g']) {
      assert.ok(
        typeof piece[field] === 'number' && Number.isFinite(piece[field]),
        `piece ${key}.${field} is not a finite number: ${JSON.stringify(piece)}`,
      );
    }
    assert.ok(piece.x >= 0 && piece.x <= width, `piece ${key}.x=${piece.x} outside [0, ${width}]`);
    assert.ok(piece.y >= 0 && piece.y <= height, `piece ${key}.y=${piece.y} outside [0, ${height}]`);
  }
});

serverTest('b: a drop sent over /ws reaches a y-websocket provider', async ({ server, cleanup }) => {
  const rows = 2;
  const cols = 3;
  const { room, students: [ada], puzzle } = await classroom(server, cleanup, {
    students: ['Ada'],
    mode: 'shared',
    rows,
    cols,
  });
  const [board] = puzzle.boards;

  const teacherView = openProvider(server, room.roomId, board.boardId, room.teacherToken, cleanup);
  await waitSynced(teacherView.provider, 'teacher on /yjs');

  const adaChannel = await openRoomChannel(server, ada.token, cleanup);
  assert.ok(adaChannel.docs.has(board.boardId), `Ada's fresh /ws got no doc for shared board ${board.boardId}`);
  const replica = docFromUpdate(adaChannel.docs.get(board.boardId));
  const key = String(rows * cols - 1);
  const dropped = dropFor(replica, board.meta, key, 0.3125, 0.4375);
  const update = captureUpdate(replica, (doc) => doc.getMap('pieces').set(key, dropped));

  const { ref, reply } = await adaChannel.client.request('update', [board.boardId, update, null]);
  assert.equal(reply.tag, 'ack', `update ref ${ref} answered ${reply.tag} ${JSON.stringify(reply.fields)}`);

  await waitForDoc(teacherView.doc, (doc) => isDeepStrictEqual(pieceOf(doc, key), dropped), {
    what: `the provider's piece ${key} = ${JSON.stringify(dropped)}`,
    describe: describePiece(teacherView.doc, key),
  });

  assert.deepEqual(reply.fields, [ref, null], 'a board write is acked as [ref, nil]');
});

serverTest('c: a drop made through a y-websocket provider reaches /ws and is stored', async ({ server, cleanup }) => {
  const rows = 2;
  const cols = 3;
  const { room, students: [ada], puzzle } = await classroom(server, cleanup, {
    students: ['Ada'],
    mode: 'shared',
    rows,
    cols,
  });
  const [board] = puzzle.boards;

  const adaChannel = await openRoomChannel(server, ada.token, cleanup);
  assert.ok(adaChannel.docs.has(board.boardId), `Ada's fresh /ws got no doc for shared board ${board.boardId}`);
  const adaReplica = docFromUpdate(adaChannel.docs.get(board.boardId));

  const teacherView = openProvider(server, room.roomId, board.boardId, room.teacherToken, cleanup);
  await waitSynced(teacherView.provider, 'teacher on /yjs');

  const key = '0';
  const dropped = dropFor(teacherView.doc, board.meta, key, 0.5625, 0.1875);
  const from = adaChannel.client.frames.length;
  teacherView.doc.transact(() => teacherView.doc.getMap('pieces').set(key, dropped));

  const frame = await waitForUpdateFrame(adaChannel, adaReplica, board.boardId, key, dropped, from);
  assert.equal(frame.fields.length, 3, `server update frame is [board, update, by]: ${frame.fields.length} fields`);
  assert.ok(
    frame.fields[2] === null || frame.fields[2] === room.userId,
    `update.by is ${JSON.stringify(frame.fields[2])}, expected the teacher (${room.userId}) or nil`,
  );

  // Stored: a fresh /ws connection's sync with an empty state vector has it...
  const teacherChannel = await openRoomChannel(server, room.teacherToken, cleanup);
  const stored = docFromUpdate(await teacherChannel.client.fetchBoardState(board.boardId));
  assert.deepEqual(pieceOf(stored, key), dropped, 'the sync diff carries the provider\'s drop');
  assert.equal(stored.getMap('pieces').size, rows * cols);

  // ...and so does a second stock provider.
  const adaView = openProvider(server, room.roomId, board.boardId, ada.token, cleanup);
  await waitSynced(adaView.provider, 'Ada on /yjs');
  assert.deepEqual(pieceOf(adaView.doc, key), dropped, 'a second provider syncs the provider\'s drop');
});

serverTest('d: a student cannot change another student\'s board over /yjs (nor over /ws)', async ({ t, server, cleanup }) => {
  const rows = 2;
  const cols = 2;
  const { room, students: [ada, ben], puzzle } = await classroom(server, cleanup, {
    students: ['Ada', 'Ben'],
    mode: 'individual',
    rows,
    cols,
  });
  const adaBoard = puzzle.boards.find((b) => isDeepStrictEqual(b.members, [ada.userId]));
  const benBoard = puzzle.boards.find((b) => isDeepStrictEqual(b.members, [ben.userId]));
  assert.ok(adaBoard && benBoard, `individual mode: expected one board per student, got ${JSON.stringify(puzzle.boards)}`);
  assert.notEqual(adaBoard.boardId, benBoard.boardId);
  for (const board of puzzle.boards) assert.equal(board.mode, 'individual');

  const adaChannel = await openRoomChannel(server, ada.token, cleanup);
  assert.ok(adaChannel.docs.has(adaBoard.boardId), `Ada's fresh /ws got no doc for her board ${adaBoard.boardId}`);
  const adaState = adaChannel.docs.get(adaBoard.boardId);
  const adaReplica = docFromUpdate(adaState);
  const key = '0';
  const original = pieceOf(adaReplica, key);
  assert.ok(original, `piece ${key} missing from Ada's board`);
  const fromAda = adaChannel.client.frames.length;

  // Ben opens Ada's board with a stock provider and tries to move her piece.
  const benView = openProvider(server, room.roomId, adaBoard.boardId, ben.token, cleanup);
  const outcome = await providerOutcome(benView.provider);
  if (outcome.synced) {
    t.diagnostic('Ben may read Ada\'s board over /yjs; checking that his write is dropped');
    const forged = dropFor(benView.doc, adaBoard.meta, key, 0.8125, 0.6875);
    benView.doc.transact(() => benView.doc.getMap('pieces').set(key, forged));
  } else {
    t.diagnostic(`/yjs closed Ben's connection to Ada's board with ${outcome.closeCode}`);
    assert.equal(
      outcome.closeCode,
      4403,
      `/yjs with another student's token closed with ${outcome.closeCode} ${outcome.reason ?? ''}, expected 4403`,
    );
  }

  // Ben also tries over /ws, with an update built on Ada's current state so
  // that it would win if the server applied it.
  const benChannel = await openRoomChannel(server, ben.token, cleanup);
  const forgedReplica = docFromUpdate(adaState);
  const forgedOverWs = dropFor(forgedReplica, adaBoard.meta, key, 0.9375, 0.0625);
  const forgedUpdate = captureUpdate(forgedReplica, (doc) => doc.getMap('pieces').set(key, forgedOverWs));
  const benWs = await benChannel.client.request('update', [adaBoard.boardId, forgedUpdate, null]);

  // Give a wrongly forwarded write time to arrive, then send a legitimate
  // teacher write as a barrier and wait until Ada has it.
  await sleep(1_000);
  const teacherChannel = await openRoomChannel(server, room.teacherToken, cleanup);
  const barrierKey = '1';
  const barrier = await teacherWrite(teacherChannel, adaBoard, barrierKey);
  await waitForUpdateFrame(adaChannel, adaReplica, adaBoard.boardId, barrierKey, barrier, fromAda);

  // Nothing of Ben's reached Ada's connection...
  const adaUpdates = adaChannel.client.frames.slice(fromAda).filter((f) => f.tag === 'update' && f.fields[0] === adaBoard.boardId);
  for (const f of adaUpdates) {
    assert.notEqual(f.fields[2], ben.userId, 'Ada received an update to her board made by Ben');
  }
  assert.deepEqual(pieceOf(adaReplica, key), original, `Ada's piece ${key} changed on her /ws replica`);

  // ...nor the server's stored board.
  const fresh = await openRoomChannel(server, ada.token, cleanup);
  const stored = docFromUpdate(await fresh.client.fetchBoardState(adaBoard.boardId));
  assert.deepEqual(pieceOf(stored, key), original, `Ada's piece ${key} changed in the server's state`);
  assert.deepEqual(pieceOf(stored, barrierKey), barrier, 'the teacher\'s write is stored');

  // Ben's /ws write was refused with an error carrying his ref.
  assert.equal(
    benWs.reply.tag,
    'error',
    `Ben's /ws update to Ada's board was answered ${benWs.reply.tag} ${JSON.stringify(benWs.reply.fields)}`,
  );
  assert.ok(
    ['forbidden', 'not_found'].includes(benWs.reply.fields[1]),
    `Ben's /ws update to Ada's board was refused with code ${benWs.reply.fields[1]}`,
  );
});

serverTest('e: a student watching a spotlighted board over /yjs sees it live but cannot change it', async ({ server, cleanup }) => {
  const rows = 2;
  const cols = 2;
  const { room, students: [ada, ben], puzzle } = await classroom(server, cleanup, {
    students: ['Ada', 'Ben'],
    mode: 'individual',
    rows,
    cols,
  });
  const adaBoard = puzzle.boards.find((b) => isDeepStrictEqual(b.members, [ada.userId]));
  assert.ok(adaBoard, `individual mode: no board for Ada in ${JSON.stringify(puzzle.boards)}`);

  const teacherChannel = await openRoomChannel(server, room.teacherToken, cleanup);
  const spot = await teacherChannel.client.request('spotlight', [adaBoard.boardId, false]);
  assert.equal(spot.reply.tag, 'ack', `spotlight was answered ${spot.reply.tag} ${JSON.stringify(spot.reply.fields)}`);

  const adaChannel = await openRoomChannel(server, ada.token, cleanup);
  const adaReplica = docFromUpdate(adaChannel.docs.get(adaBoard.boardId));
  const key = '0';
  const original = pieceOf(adaReplica, key);
  assert.ok(original, `piece ${key} missing from Ada's board`);
  const fromAda = adaChannel.client.frames.length;

  const teacherView = openProvider(server, room.roomId, adaBoard.boardId, room.teacherToken, cleanup);
  await waitSynced(teacherView.provider, 'teacher on /yjs');

  // The board is spotlighted, so Ben may watch it: the provider must sync.
  const benView = openProvider(server, room.roomId, adaBoard.boardId, ben.token, cleanup);
  await waitSynced(benView.provider, 'Ben on the spotlighted board over /yjs');
  assert.deepEqual(pieceOf(benView.doc, key), original, 'Ben\'s provider syncs Ada\'s board');

  const forged = dropFor(benView.doc, adaBoard.meta, key, 0.8125, 0.6875);
  benView.doc.transact(() => benView.doc.getMap('pieces').set(key, forged));

  await sleep(1_000);
  const barrierKey = '1';
  const barrier = await teacherWrite(teacherChannel, adaBoard, barrierKey);
  await waitForUpdateFrame(adaChannel, adaReplica, adaBoard.boardId, barrierKey, barrier, fromAda);
  for (const view of [teacherView, benView]) {
    await waitForDoc(view.doc, (doc) => isDeepStrictEqual(pieceOf(doc, barrierKey), barrier), {
      what: `the teacher's barrier write on ${view === benView ? 'Ben\'s (watching)' : 'the teacher\'s'} provider`,
      describe: describePiece(view.doc, barrierKey),
    });
  }

  // Ben's write was not forwarded: not to Ada's /ws, not to the teacher's provider...
  const adaUpdates = adaChannel.client.frames.slice(fromAda).filter((f) => f.tag === 'update' && f.fields[0] === adaBoard.boardId);
  for (const f of adaUpdates) {
    assert.notEqual(f.fields[2], ben.userId, 'Ada received an update to her board made by Ben');
  }
  assert.deepEqual(pieceOf(adaReplica, key), original, `Ada's piece ${key} changed on her /ws replica`);
  assert.deepEqual(pieceOf(teacherView.doc, key), original, `Ada's piece ${key} changed on the teacher's provider`);

  // ...and not applied.
  const fresh = await openRoomChannel(server, room.teacherToken, cleanup);
  const stored = docFromUpdate(await fresh.client.fetchBoardState(adaBoard.boardId));
  assert.deepEqual(pieceOf(stored, key), original, `Ada's piece ${key} changed in the server's state`);
  assert.deepEqual(pieceOf(stored, barrierKey), barrier, 'the teacher\'s write is stored');
});
