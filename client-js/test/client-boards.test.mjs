// Boards through the client library against the real server: drags on the
// motion lane, drops as Yjs updates, convergence of concurrent drops, and
// the drag throttle's rate on a real clock.

import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';

import { REMOTE_ORIGIN } from '../src/index.js';
import {
  boardReady,
  classroom,
  eventually,
  instrumentedWebSocket,
  openClient,
  piecesJson,
} from './support/classroom.mjs';
import { serverTest, sleep } from './support/server.mjs';

serverTest('a student\'s drag reaches the focused teacher as motion; the drop updates the teacher\'s board', async ({ server, cleanup }) => {
  const { teacher, students: [ann], puzzle } = await classroom(server, cleanup, {
    students: ['Ann'],
    mode: 'individual',
    rows: 3,
    cols: 3,
  });
  const boardId = puzzle.boards[0].boardId;
  const student = await openClient(server, ann.token, cleanup);
  // `ready` waits for the boards and their documents.
  assert.deepEqual(student.boards.map((b) => b.id), [boardId]);
  assert.ok(student.board(boardId).pieces().every(Boolean), 'the replica is filled when ready resolves');
  const mine = await boardReady(student, boardId);
  const watched = await boardReady(teacher, boardId);
  assert.deepEqual(piecesJson(watched), piecesJson(mine), 'both start from the stored board');
  assert.equal(mine.meta.rows, 3);
  await teacher.focus(boardId);

  const remoteOrigins = [];
  watched.doc.on('update', (_update, origin) => remoteOrigins.push(origin));

  // A drag along a path of positions exact in float 32.
  await mine.grab(4);
  await teacher.events.waitFor('grab', (g) => g.board === boardId && g.piece === 4 && g.by === ann.userId);
  const path = Array.from({ length: 20 }, (_, i) => [100 + i * 10.5, 200 + i * 4.25]);
  for (const [x, y] of path) {
    mine.move(4, x, y);
    await sleep(8);
  }
  const [lastX, lastY] = path.at(-1);
  const motion = await teacher.events.waitFor('motion', (m) =>
    m.moves.some((mv) => mv.board === boardId && mv.piece === 4 && mv.x === lastX && mv.y === lastY),
  );
  const seen = teacher.events.of('motion').flatMap((m) => m.moves).filter((mv) => mv.piece === 4);
  assert.ok(seen.length >= 2, `the teacher saw ${seen.length} positions of the drag`);
  assert.ok(motion.moves.every((mv) => Number.isInteger(mv.seq) && Number.isInteger(mv.t)));

  // The drop: one update, acknowledged, applied on the teacher's replica.
  const fromIndex = teacher.events.log.length;
  const dropped = await mine.drop(4, 540.5, 300.25);
  assert.ok(dropped.moves.some((m) => m.piece === 4));
  const expected = mine.piece(4);
  assert.equal(expected.x, dropped.moves.find((m) => m.piece === 4).x);
  const change = await teacher.events.waitFor('board', (b) => b.boardId === boardId && b.origin === 'remote', {
    from: fromIndex,
  });
  assert.equal(change.by, ann.userId);
  assert.deepEqual(watched.piece(4), expected);
  assert.ok(remoteOrigins.includes(REMOTE_ORIGIN), 'remote updates carry REMOTE_ORIGIN');
  await teacher.events.waitFor('release', (r) => r.board === boardId && r.piece === 4, { from: fromIndex });
  assert.equal(watched.heldBy(4), undefined);

  // Drops are committed: a fresh client reads the same board.
  const fresh = await openClient(server, ann.token, cleanup);
  assert.deepEqual(piecesJson(await boardReady(fresh, boardId)), piecesJson(mine));
});

serverTest('concurrent drops on a shared board converge on every replica', async ({ server, cleanup }) => {
  const { teacher, students: [ann, ben], puzzle } = await classroom(server, cleanup, {
    students: ['Ann', 'Ben'],
    mode: 'shared',
    rows: 3,
    cols: 3,
  });
  const boardId = puzzle.boards[0].boardId;
  const annClient = await openClient(server, ann.token, cleanup);
  const benClient = await openClient(server, ben.token, cleanup);
  const annBoard = await boardReady(annClient, boardId);
  const benBoard = await boardReady(benClient, boardId);
  const { pieceWidth: pw, pieceHeight: ph } = annBoard.meta;

  // Ann builds the top row from piece 0, Ben the left column, at the same
  // time; both also drop piece 8 somewhere, unaware of each other.
  const base = [300, 200];
  const annDrops = [
    [0, ...base],
    [1, base[0] + pw + 3, base[1] - 2],
    [2, base[0] + 2 * pw + 1, base[1] + 1],
    [8, 50, 60],
  ];
  const benDrops = [
    [3, base[0] + 2, base[1] + ph + 2],
    [6, base[0] - 1, base[1] + 2 * ph - 3],
    [8, 500, 380],
  ];
  const run = async (board, drops) => {
    const results = [];
    for (const [piece, x, y] of drops) results.push(await board.drop(piece, x, y));
    return results;
  };
  const [annResults, benResults] = await Promise.all([run(annBoard, annDrops), run(benBoard, benDrops)]);

  await eventually(
    () => isDeepStrictEqual(piecesJson(annBoard), piecesJson(benBoard)),
    'Ann\'s and Ben\'s replicas agree',
  );
  const teacherBoard = await boardReady(teacher, boardId);
  await eventually(
    () => isDeepStrictEqual(piecesJson(teacherBoard), piecesJson(annBoard)),
    'the teacher\'s replica agrees',
  );
  const fresh = await openClient(server, ann.token, cleanup);
  const freshBoard = await boardReady(fresh, boardId);
  assert.deepEqual(piecesJson(freshBoard), piecesJson(annBoard), 'a fresh client reads the converged board');

  // Both dropped piece 8: one of the two writes won, the same everywhere.
  const written = [annResults.at(-1), benResults.at(-1)].map((r) => {
    const { piece: _, ...value } = r.moves.find((m) => m.piece === 8);
    return value;
  });
  const eight = annBoard.piece(8);
  assert.ok(written.some((w) => isDeepStrictEqual(w, eight)), `piece 8 at ${JSON.stringify(eight)}, drops ${JSON.stringify(written)}`);
});

serverTest('the drag throttle sends ~30 positions a second and always the last one', async ({ server, cleanup }) => {
  const { teacher, students: [ann], puzzle } = await classroom(server, cleanup, {
    students: ['Ann'],
    mode: 'individual',
  });
  const boardId = puzzle.boards[0].boardId;
  const wire = instrumentedWebSocket();
  const student = await openClient(server, ann.token, cleanup, { WebSocket: wire.WebSocket });
  const board = await boardReady(student, boardId);
  await teacher.focus(boardId);

  // Pointer events at ~250 Hz for one second.
  const started = performance.now();
  let i = 0;
  let last;
  while (performance.now() - started < 1000) {
    last = [10 + (i % 500), 20 + (i % 300)];
    board.move(1, ...last);
    i += 1;
    await sleep(4);
  }
  await sleep(100); // the trailing position
  const moves = wire.sent.filter((s) => s.msg.type === 'mv' && s.msg.piece === 1);
  assert.ok(i > 100, `only ${i} pointer events were generated`);
  assert.ok(moves.length >= 15 && moves.length <= 36, `${moves.length} positions sent for ${i} pointer events in 1 s`);
  // Wide bounds: host timers may fire a few ms early or late on a busy machine.
  const gaps = moves.slice(1).map((m, k) => m.at - moves[k].at).sort((a, b) => a - b);
  const median = gaps[Math.floor(gaps.length / 2)];
  assert.ok(median >= 30 && median <= 70, `median gap ${median.toFixed(1)} ms`);
  assert.ok(gaps[0] >= 20, `two positions only ${gaps[0].toFixed(1)} ms apart`);
  assert.deepEqual([moves.at(-1).msg.x, moves.at(-1).msg.y], last, 'the last position is sent');
  await teacher.events.waitFor('motion', (m) =>
    m.moves.some((mv) => mv.piece === 1 && mv.x === last[0] && mv.y === last[1]),
  );
});

serverTest('a drop the server refuses is taken back: the replica is rebuilt from the server\'s document', async ({ server, cleanup }) => {
  const { teacher, students: [ann, ben], puzzle } = await classroom(server, cleanup, {
    students: ['Ann', 'Ben'],
    mode: 'individual',
    rows: 2,
    cols: 3,
  });
  const annBoardId = puzzle.boards.find((b) => b.members.includes(ann.userId)).boardId;
  const annClient = await openClient(server, ann.token, cleanup);
  const benClient = await openClient(server, ben.token, cleanup);
  const annBoard = await boardReady(annClient, annBoardId);

  // Ben may watch Ann's board on the projector, not change it.
  await teacher.spotlight(annBoardId, false);
  const watched = await boardReady(benClient, annBoardId);
  assert.deepEqual(piecesJson(watched), piecesJson(annBoard));
  const original = watched.piece(2);
  const oldDoc = watched.doc;

  const from = benClient.events.log.length;
  await assert.rejects(watched.drop(2, 10.5, 20.5), { code: 'forbidden' });
  const rebuilt = await benClient.events.waitFor('board', (b) => b.boardId === annBoardId && b.replaced, { from });
  assert.equal(rebuilt.origin, 'remote');
  assert.notEqual(watched.doc, oldDoc, 'the replica is a new Y.Doc');
  assert.equal(watched.needsRebuild, false);
  assert.deepEqual(watched.piece(2), original, 'the refused drop is gone from the replica');
  assert.deepEqual(piecesJson(watched), piecesJson(annBoard));

  // The new replica keeps following the board.
  await annBoard.drop(0, 33.25, 44.75);
  await eventually(() => isDeepStrictEqual(piecesJson(watched), piecesJson(annBoard)), 'Ben\'s rebuilt replica follows Ann\'s drop');
});

serverTest('one drop can move every piece of a 1000-piece board (the frame limit admits the largest write)', async ({ server, cleanup }) => {
  const { teacher, students: [ann], puzzle } = await classroom(server, cleanup, {
    students: ['Ann'],
    mode: 'individual',
    rows: 25,
    cols: 40,
  });
  const boardId = puzzle.boards[0].boardId;
  const student = await openClient(server, ann.token, cleanup);
  const mine = await boardReady(student, boardId);
  const watched = await boardReady(teacher, boardId);
  const { rows, cols, pieceWidth: pw, pieceHeight: ph } = mine.meta;
  assert.equal(rows * cols, 1000);

  // The whole picture assembled as one group, written straight into the
  // document (the client sends such a write on its own).
  const pieces = mine.doc.getMap('pieces');
  mine.doc.transact(() => {
    for (let i = 0; i < rows * cols; i++) {
      const x = 100.125 + (i % cols) * pw;
      const y = 50.375 + Math.floor(i / cols) * ph;
      pieces.set(String(i), { x, y, r: 0, z: 1000 + i, g: 0 });
    }
  });
  await eventually(() => watched.piece(999)?.g === 0, 'the assembled picture on the teacher\'s replica');

  // Dragging the picture moves all 1000 pieces in one update: tens of KiB
  // with fractional coordinates.
  const dropped = await mine.drop(0, 1234.567, 345.678);
  assert.equal(dropped.moves.length, 1000);
  const last = mine.piece(999);
  assert.ok(Math.abs(last.x - (1234.567 + (cols - 1) * pw)) < 1e-6, `piece 999 moved with its group: ${JSON.stringify(last)}`);
  await eventually(() => isDeepStrictEqual(watched.piece(999), last), 'the moved picture on the teacher\'s replica');
  assert.equal(teacher.events.of('error').length + student.events.of('error').length, 0, 'no write was refused');
});
