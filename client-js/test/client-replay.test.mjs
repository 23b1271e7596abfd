// Replay through the client library against the real server: a student's
// 600 drops (past two compactions) come back as a timeline on which seeking
// forward and backward, in any order, lands on the state replaying from the
// start gives, and on what the student saw after each drop; play runs to
// the end; marks name the drops and the solved moment.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as Y from 'yjs';

import { Replay } from '../src/replay.js';
import { classroom, openClient, piecesJson } from './support/classroom.mjs';
import { serverTest } from './support/server.mjs';

const DROPS = 600;

/** The pieces after the first `count` updates, replayed from the start. */
function fromStart(updates, count) {
  const doc = new Y.Doc();
  for (const u of updates.slice(0, count)) Y.applyUpdate(doc, u.update);
  return doc.getMap('pieces').toJSON();
}

/** Updates with ts <= time. */
function countUpTo(updates, time) {
  return updates.filter((u) => u.ts <= time).length;
}

test('a replay keeps its own keyframes where the server kept none, so no seek applies more than 255 updates', () => {
  // 1,000 updates, with one server keyframe (after update 700) the way the
  // server keeps them once a snapshot's worth of updates has passed.
  const source = new Y.Doc();
  const updates = [];
  let keyframe = null;
  source.on('update', (update) => {
    updates.push({ seq: updates.length + 1, ts: 1_000 + updates.length * 10, author: null, update });
    if (updates.length === 700) keyframe = { seq: 700, ts: updates[699].ts, state: Y.encodeStateAsUpdate(source) };
  });
  const pieces = source.getMap('pieces');
  for (let k = 0; k < 1_000; k++) pieces.set(String(k % 12), { x: k, y: k * 2 });
  const replay = new Replay({ board: 1, completedAt: null, base: null, keyframes: [keyframe], updates });
  const applied = [];
  replay.on('seek', (event) => applied.push(event.applied));
  const times = updates.map((u) => u.ts);
  const order = [times.at(-1), times[0], times[650], times[699], times[700], times[299], times[999], times[1]];
  for (let i = 0; i < 60; i++) order.push(times[(i * 7919) % times.length]);
  for (const time of order) {
    const doc = replay.seek(time);
    assert.deepEqual(doc.getMap('pieces').toJSON(), fromStart(updates, countUpTo(updates, time)), `at ${time}`);
  }
  assert.ok(Math.max(...applied) <= 255, `a seek applied ${Math.max(...applied)} updates`);
  assert.ok(applied.some((n) => n > 100), 'some seeks applied many updates');
});

serverTest(
  'seeking a replay forward and backward lands on the state replaying from the start gives',
  async ({ server, cleanup }) => {
    const { teacher, students: [ann], puzzle } = await classroom(server, cleanup, {
      students: ['Ann'],
      mode: 'individual',
      rows: 3,
      cols: 3,
    });
    const boardId = puzzle.boards[0].boardId;
    const student = await openClient(server, ann.token, cleanup);
    const mine = student.board(boardId);
    const seen = [piecesJson(mine)];
    for (let k = 0; k < DROPS; k++) {
      // Far apart, so nothing snaps and every drop is one update.
      await mine.drop(k % 9, 5 + ((k * 37) % 90) * 0.05, 5 + ((k * 53) % 60) * 0.05, { tolerance: 0 });
      seen.push(piecesJson(mine));
    }

    // Compactions run in the background: wait for both.
    let replay = await teacher.replay(boardId);
    for (let tries = 0; replay.keyframes.length < 2; tries++) {
      assert.ok(tries < 200, `only ${replay.keyframes.length} keyframes`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      replay = await teacher.replay(boardId);
    }
    const { updates } = replay;
    assert.equal(updates.length, DROPS + 1, 'the scatter and every drop');
    assert.ok(updates.slice(1).every((u) => u.author === ann.userId));
    assert.equal(updates[0].author, null);
    assert.ok(replay.bytes > 0);

    // The student's states, one per acknowledged drop, are the timeline's.
    for (let k = 0; k <= DROPS; k += 37) {
      assert.deepEqual(fromStart(updates, k + 1), seen[k], `after drop ${k}`);
    }

    // Seeks in a scrambled order, both ways, across keyframes.
    const times = updates.map((u) => u.ts);
    const order = [times.at(-1), times[0], times[300], times[299], times[590], times[10], times[257], times[256]];
    for (let i = 0; i < 40; i++) order.push(times[(i * 7919) % times.length]);
    let backward = 0;
    for (const time of order) {
      const before = replay.time;
      const doc = replay.seek(time);
      if (time < before) backward++;
      assert.equal(doc, replay.doc);
      assert.deepEqual(doc.getMap('pieces').toJSON(), fromStart(updates, countUpTo(updates, time)), `at ${time}`);
    }
    assert.ok(backward >= 5, 'some seeks went backward');
    assert.deepEqual(replay.seek(replay.end).getMap('pieces').toJSON(), seen[DROPS], 'the end is the live board');
    assert.deepEqual(replay.seek(replay.start - 1000).getMap('pieces').toJSON(), seen[0], 'before the start: the scatter');

    // Play runs to the end and stops there.
    replay.seek(times[500]);
    const paused = new Promise((resolve) => replay.once('pause', resolve));
    replay.play({ speed: 1_000_000 });
    assert.equal(replay.playing, true);
    await paused;
    assert.equal(replay.time, replay.end);
    assert.deepEqual(replay.doc.getMap('pieces').toJSON(), seen[DROPS]);

    const marks = replay.marks();
    assert.equal(marks.filter((m) => m.kind === 'drop').length, DROPS);
    assert.ok(marks.every((m, i) => i === 0 || m.time >= marks[i - 1].time));
  },
  { args: ['--conn-rate', '100000'] },
);

serverTest('a window starts at the state of its first moment', async ({ server, cleanup }) => {
  const { teacher, students: [ann], puzzle } = await classroom(server, cleanup, {
    students: ['Ann'],
    mode: 'individual',
  });
  const boardId = puzzle.boards[0].boardId;
  const student = await openClient(server, ann.token, cleanup);
  const mine = student.board(boardId);
  await mine.drop(0, 1, 1, { tolerance: 0 });
  const whole = await teacher.replay(boardId);
  const to = whole.updates[0].ts;
  const window = await teacher.replay(boardId, { to });
  assert.ok(window.updates.every((u) => u.ts <= to));
  // The geometry comes from the timeline itself, as after the class when no
  // live board is there to ask.
  assert.deepEqual(window.meta, mine.info.meta);
  assert.deepEqual(window.seek(to).getMap('pieces').toJSON(), whole.seek(to).getMap('pieces').toJSON());
  // An unknown board is refused as the server refuses it.
  await assert.rejects(student.replay(boardId + 1000), (err) => err.code === 'not_found');
});
