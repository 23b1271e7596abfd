// Board documents and the room channel on a cluster: examples/cluster/run.sh
// (three nodes on one Postgres, HAProxy in front; see support/cluster.mjs),
// started once for this file. A stock y-websocket provider that reaches the
// room through a node that does not own it is relayed to the owner frame for
// frame, and must behave exactly as it does on the owner itself.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import * as Y from 'yjs';

import { openClient } from './support/classroom.mjs';
import { connectionGauges, leaseTakers, serverAt, startCluster } from './support/cluster.mjs';
import {
  Cleanup,
  WAIT_MS,
  buildPng,
  createRoom,
  docFromUpdate,
  joinRoom,
  openProvider,
  openRoomChannel,
  pieceOf,
  startPuzzle,
  uploadPicture,
  waitForDoc,
  waitSynced,
} from './support/server.mjs';

/** How long the room may take to find a new owner once its old one stopped (lease TTL 6 s, then a claim). */
const FAILOVER_MS = 30_000;

let cluster = null;

before(async () => {
  cluster = await startCluster();
}, { timeout: 120_000 });

after(async () => {
  await cluster?.stop();
}, { timeout: 60_000 });

/** A test on the file's cluster, with a Cleanup that always runs; prints the cluster's log tail on failure. */
function clusterTest(name, fn) {
  test(name, { timeout: 90_000 }, async (t) => {
    assert.ok(cluster, 'the cluster did not start');
    const cleanup = new Cleanup();
    try {
      await fn({ t, cleanup });
    } catch (err) {
      t.diagnostic(`cluster log tail:\n${cluster.logTail(6000)}`);
      throw err;
    } finally {
      await cleanup.run();
    }
  });
}

/** A drop somewhere else on the board, keeping rotation and group (as in yjs-interop.test.mjs). */
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

/**
 * Resolves once the provider has synced, however many times the server
 * closes it first (y-websocket reconnects by itself): for a room that is
 * between owners.
 */
function syncedEventually(provider, what, timeout) {
  if (provider.synced) return Promise.resolve();
  const closes = [];
  return new Promise((resolve, reject) => {
    const onSync = (state) => {
      if (state) {
        finish();
        resolve();
      }
    };
    const onClose = (event) => {
      if (event) closes.push(event.code);
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`${what}: not synced within ${timeout} ms (closed meanwhile with ${closes.join(', ') || 'nothing'})`));
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

/** Resolves once nothing answers `url`/healthz any more. */
async function waitUntilDown(url, timeout) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
    } catch {
      return;
    }
    if (Date.now() > deadline) throw new Error(`${url} still answers /healthz ${timeout} ms after SIGTERM`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

clusterTest('through the load balancer: a join, then the room channel both ways', async ({ cleanup }) => {
  const lb = serverAt(cluster.lb);
  const room = await createRoom(lb, 'Cluster 5B', 'Ms Park');
  const ann = await joinRoom(lb, room.joinCode, 'Ann');
  assert.equal(ann.roomId, room.roomId, 'the join through the LB joined another room');

  // The teacher on the room's own URL (/ws/{roomId}, which the LB hashes on),
  // Ann on plain /ws?token=... (no room id: the LB sends it to any node).
  const teacher = await openClient(lb, room.teacherToken, cleanup, { roomId: room.roomId });
  const student = await openClient(lb, ann.token, cleanup);
  assert.equal(student.roomId, room.roomId);
  assert.equal(student.me.name, 'Ann');
  await teacher.events.waitFor('presence', (p) => p.event === 'online' && p.participant.id === ann.userId, {
    what: "the teacher to see Ann come online",
  });

  const { seq } = await student.chat('hello through the load balancer');
  const got = await teacher.events.waitFor('message', (m) => m.seq === seq, { what: `Ann's chat (seq ${seq}) at the teacher` });
  assert.equal(got.text, 'hello through the load balancer');
  assert.equal(got.from, ann.userId);
  const reply = await teacher.chat('hi Ann');
  await student.events.waitFor('message', (m) => m.seq === reply.seq && m.text === 'hi Ann', {
    what: `the teacher's reply (seq ${reply.seq}) at Ann`,
  });
});

clusterTest(
  'a stock y-websocket provider through a node that does not own the room syncs and edits the board; the edit reaches every node and is stored',
  async ({ t, cleanup }) => {
    const [n1, n2, n3] = cluster.nodes.map(serverAt);
    const lb = serverAt(cluster.lb);
    const rows = 2;
    const cols = 3;

    // Everything on n1, so n1 takes the room.
    const room = await createRoom(n1);
    const ada = await joinRoom(n1, room.joinCode, 'Ada');
    const upload = await uploadPicture(n1, room.roomId, room.teacherToken, buildPng(4, 3));
    const puzzle = await startPuzzle(n1, room.roomId, room.teacherToken, { uploadId: upload.uploadId, rows, cols, mode: 'shared' });
    assert.equal(puzzle.boards?.length, 1, `shared mode made ${JSON.stringify(puzzle.boards)}`);
    const [board] = puzzle.boards;
    const takers = leaseTakers(cluster.logTail(Infinity), room.roomId);
    if (takers.length === 0) {
      t.diagnostic("no node logged taking the room's lease (log format changed?); n1 assumed to own the room");
    } else {
      assert.deepEqual(takers, ['n1'], `the room's lease was taken by ${takers.join(', ')}, not n1 alone`);
    }

    // The teacher's room channel on the owner.
    const teacherChannel = await openRoomChannel(n1, room.teacherToken, cleanup);
    assert.ok(teacherChannel.docs.has(board.boardId), `the teacher's /ws on n1 got no doc for board ${board.boardId}`);
    const ownerReplica = docFromUpdate(teacherChannel.docs.get(board.boardId));

    // Ada's stock provider on n2, relayed to n1.
    const adaView = openProvider(n2, room.roomId, board.boardId, ada.token, cleanup);
    await waitSynced(adaView.provider, 'Ada on /yjs through n2');
    const pieces = adaView.doc.getMap('pieces');
    assert.equal(pieces.size, rows * cols, `the provider on n2 has ${pieces.size} pieces`);
    assert.equal(adaView.doc.getMap('meta').get('rows'), rows);
    assert.equal(adaView.doc.getMap('meta').get('cols'), cols);
    assert.deepEqual(pieces.toJSON(), ownerReplica.getMap('pieces').toJSON(), "n2's provider differs from the owner's /ws copy");

    // n2 relays the provider to n1 rather than serving the board itself.
    const n2Connections = await connectionGauges(n2.http);
    if (n2Connections) {
      assert.ok(n2Connections.forwarded >= 1, `n2 relays no WebSocket: ${JSON.stringify(n2Connections)}`);
      assert.equal(n2Connections.yjs ?? 0, 0, `n2 serves a Yjs channel itself: ${JSON.stringify(n2Connections)}`);
    } else {
      t.diagnostic('n2 has no jigsync_connections gauges on /metrics; the relay is not checked there');
    }

    // The teacher's stock provider on n3, also relayed to n1.
    const teacherView = openProvider(n3, room.roomId, board.boardId, room.teacherToken, cleanup);
    await waitSynced(teacherView.provider, 'the teacher on /yjs through n3');
    assert.equal(teacherView.doc.getMap('pieces').size, rows * cols);

    // Ada drops a piece through n2.
    const key = '0';
    const dropped = dropFor(adaView.doc, board.meta, key, 0.5625, 0.1875);
    const from = teacherChannel.client.frames.length;
    adaView.doc.transact(() => adaView.doc.getMap('pieces').set(key, dropped));

    const frame = await waitForUpdateFrame(teacherChannel, ownerReplica, board.boardId, key, dropped, from);
    assert.ok(
      frame.fields[2] === null || frame.fields[2] === ada.userId,
      `update.by is ${JSON.stringify(frame.fields[2])}, expected Ada (${ada.userId}) or nil`,
    );
    await waitForDoc(teacherView.doc, (doc) => isDeepStrictEqual(pieceOf(doc, key), dropped), {
      what: `n3's provider to have piece ${key} = ${JSON.stringify(dropped)}`,
      describe: (doc) => JSON.stringify(pieceOf(doc, key)),
    });

    // A fresh provider through the load balancer has it...
    const fresh = openProvider(lb, room.roomId, board.boardId, room.teacherToken, cleanup);
    await waitSynced(fresh.provider, 'a fresh provider through the LB');
    assert.deepEqual(pieceOf(fresh.doc, key), dropped, "a fresh provider through the LB lacks Ada's drop");

    // ...and so does the room once its owner is gone: the next owner loads it
    // from Postgres, so the drop was committed there, not only kept in n1's memory.
    process.kill(cluster.nodePids[0], 'SIGTERM');
    await waitUntilDown(n1.http, WAIT_MS);
    const afterOwner = openProvider(lb, room.roomId, board.boardId, room.teacherToken, cleanup);
    const stoppedAt = Date.now();
    await syncedEventually(afterOwner.provider, 'a provider through the LB after n1 stopped', FAILOVER_MS);
    const takeover = leaseTakers(cluster.logTail(Infinity), room.roomId).slice(1);
    t.diagnostic(`after n1 stopped: synced in ${Date.now() - stoppedAt} ms, lease taken by ${takeover.join(', ') || '(not logged)'}`);
    assert.ok(!takeover.includes('n1'), `n1 took the room again: ${takeover.join(', ')}`);
    assert.equal(afterOwner.doc.getMap('pieces').size, rows * cols);
    assert.deepEqual(pieceOf(afterOwner.doc, key), dropped, "the room loaded by the next owner lacks Ada's drop");
  },
);
