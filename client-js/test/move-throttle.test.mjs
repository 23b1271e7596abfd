// Unit tests for src/move-throttle.js, on a fake clock: nothing here sleeps
// and nothing here needs the server.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createMoveThrottle } from '../src/move-throttle.js';

const INTERVAL = 1000 / 30;

/** A manual clock with timers that fire only when the test advances time. */
function fakeClock(start = 0) {
  let time = start;
  let nextId = 1;
  const timers = new Map(); // id -> { due, fn }
  return {
    now: () => time,
    setTimer(fn, ms) {
      assert.ok(ms >= 0 && Number.isFinite(ms), `timer delay ${ms}`);
      const id = nextId++;
      timers.set(id, { due: time + ms, fn });
      return id;
    },
    clearTimer(id) {
      timers.delete(id);
    },
    /** Moves the clock to `to`, firing due timers in order at their due time. */
    advanceTo(to) {
      for (;;) {
        let first = null;
        for (const [id, timer] of timers) {
          if (timer.due <= to && (first === null || timer.due < first[1].due)) first = [id, timer];
        }
        if (first === null) break;
        timers.delete(first[0]);
        time = Math.max(time, first[1].due);
        first[1].fn();
      }
      time = Math.max(time, to);
    },
    /** Moves the clock without firing timers, as when the host runs them late. */
    skipTo(to) {
      time = Math.max(time, to);
    },
    get activeTimers() {
      return timers.size;
    },
  };
}

/** A throttle on a fake clock; every send is recorded with the clock value. */
function setup({ hz, start } = {}) {
  const clock = fakeClock(start);
  const sent = [];
  const throttle = createMoveThrottle({
    send: (move) => sent.push({ ...move, at: clock.now() }),
    ...(hz === undefined ? {} : { hz }),
    now: clock.now,
    setTimer: clock.setTimer,
    clearTimer: clock.clearTimer,
  });
  return { clock, sent, throttle };
}

/** Asserts that consecutive sends of one piece are at least one interval apart. */
function assertSpaced(sends, interval = INTERVAL) {
  for (let i = 1; i < sends.length; i++) {
    const gap = sends[i].at - sends[i - 1].at;
    assert.ok(gap >= interval - 1e-9, `sends ${i - 1} and ${i} only ${gap} ms apart`);
  }
}

test('a burst of 100 moves in 100 ms sends about 4 positions, the first at once and the last always', () => {
  const { clock, sent, throttle } = setup();
  for (let i = 0; i < 100; i++) {
    clock.advanceTo(i);
    throttle.move(3, 17, i, -i);
    if (i === 0) assert.equal(sent.length, 1, 'the first position goes out immediately');
    assert.ok(clock.activeTimers <= 1, 'at most one timer per piece');
  }
  assert.notEqual(sent.at(-1).x, 99, 'the last position waits for the interval to end');
  clock.advanceTo(1000);

  assert.ok(sent.length >= 3 && sent.length <= 5, `sent ${sent.length} positions`);
  assertSpaced(sent);
  assert.deepEqual(sent[0], { board: 3, piece: 17, x: 0, y: -0, seq: 0, t: 0, at: 0 });
  assert.equal(sent.at(-1).x, 99, 'the trailing position is sent');
  assert.equal(sent.at(-1).y, -99);
  assert.ok(sent.at(-1).at <= 100 + 1e-9, 'trailing send no later than one interval after the previous one');
  assert.equal(clock.activeTimers, 0);
});

test('different pieces (and the same piece on different boards) are throttled independently', () => {
  const { clock, sent, throttle } = setup();
  const keys = [
    [1, 1],
    [1, 2],
    [2, 1],
  ];
  for (let i = 0; i < 100; i++) {
    clock.advanceTo(i);
    for (const [board, piece] of keys) throttle.move(board, piece, i, board * 1000 + piece);
    if (i === 0) assert.equal(sent.length, 3, 'each piece sends its first position at once');
  }
  clock.advanceTo(1000);

  const counts = [];
  for (const [board, piece] of keys) {
    const own = sent.filter((m) => m.board === board && m.piece === piece);
    assert.ok(own.every((m) => m.y === board * 1000 + piece), 'positions stay with their piece');
    assertSpaced(own);
    assert.equal(own.at(-1).x, 99, `trailing position of ${board}:${piece}`);
    counts.push(own.length);
  }
  assert.ok(counts[0] >= 3 && counts[0] <= 5, `counts ${counts}`);
  assert.deepEqual(counts, [counts[0], counts[0], counts[0]], 'one piece does not slow another');
});

test('end cancels the pending trailing send and forgets the piece', () => {
  const { clock, sent, throttle } = setup();
  throttle.move(1, 5, 10, 10);
  clock.advanceTo(10);
  throttle.move(1, 5, 20, 20); // pending
  throttle.move(1, 6, 30, 30); // another piece, sent at once
  clock.advanceTo(15);
  throttle.move(1, 6, 40, 40); // pending for piece 6
  assert.equal(clock.activeTimers, 2);

  clock.advanceTo(20);
  assert.equal(throttle.end(1, 5), undefined);
  assert.equal(clock.activeTimers, 1, "piece 5's timer is cancelled, piece 6's is not");
  clock.advanceTo(500);
  assert.deepEqual(
    sent.map((m) => [m.piece, m.x]),
    [
      [5, 10],
      [6, 30],
      [6, 40],
    ],
    'the position dropped with end() is never sent',
  );

  // The key is forgotten: a new drag right after the drop starts at once,
  // even within an interval of the last send.
  throttle.move(1, 6, 50, 50);
  const before = sent.length;
  throttle.end(1, 6);
  throttle.move(1, 6, 60, 60);
  assert.equal(sent.length, before + 1);
  assert.equal(sent.at(-1).x, 60);
  throttle.end(9, 9); // unknown key: no effect
});

test('seq counts actual sends only, and t is the floored clock at send time', () => {
  const start = 2 ** 32 + 1000.75; // t is a wrapping u32
  const { clock, sent, throttle } = setup({ start });
  for (let i = 0; i < 50; i++) {
    clock.advanceTo(start + i * 7.3);
    throttle.move(2, 4, i, i);
  }
  throttle.move(2, 4, NaN, 0); // ignored: takes no seq
  clock.advanceTo(start + 1000);
  throttle.move(2, 8, 1, 1);

  assert.ok(sent.length >= 10 && sent.length < 50, `sent ${sent.length}`);
  sent.forEach((m, i) => {
    assert.equal(m.seq, i, 'seq goes up by one per position sent');
    assert.equal(m.t, Math.floor(m.at) % 2 ** 32, 't comes from the clock at send time');
  });
  assert.equal(sent[0].t, 1000);
  assert.ok(sent.some((m) => m.at % 1 !== 0.75), 'some sends came from timers, at other times');
});

test('non-finite or non-number coordinates are not sent', () => {
  const { clock, sent, throttle } = setup();
  const bad = [NaN, Infinity, -Infinity, 1e39 /* Infinity as float32 */, '5', undefined, null];
  for (const value of bad) {
    throttle.move(1, 1, value, 0);
    throttle.move(1, 1, 0, value);
  }
  clock.advanceTo(1000);
  assert.equal(sent.length, 0);
  assert.equal(clock.activeTimers, 0);

  // A bad position does not replace the pending good one.
  throttle.move(1, 1, 1, 1);
  clock.advanceTo(1010);
  throttle.move(1, 1, 2, 2);
  throttle.move(1, 1, NaN, 3);
  clock.advanceTo(2000);
  assert.deepEqual(
    sent.map((m) => [m.x, m.y, m.seq]),
    [
      [1, 1, 0],
      [2, 2, 1],
    ],
  );

  // Bad ids are programming errors.
  assert.throws(() => throttle.move(-1, 1, 0, 0), RangeError);
  assert.throws(() => throttle.move(1, 0x10000, 0, 0), RangeError);
  assert.throws(() => throttle.move(1.5, 1, 0, 0), RangeError);
});

test('a steady 120 Hz drag for one second sends about 30 positions', () => {
  const { clock, sent, throttle } = setup();
  const events = 120;
  for (let i = 0; i < events; i++) {
    clock.advanceTo((i * 1000) / 120);
    throttle.move(7, 3, i, 0);
  }
  clock.advanceTo(2000);

  assert.ok(sent.length >= 29 && sent.length <= 31, `sent ${sent.length} positions`);
  assertSpaced(sent);
  assert.equal(sent.at(-1).x, events - 1, 'the trailing position is sent');
});

test('a move after a late trailing timer is sent at once and supersedes the pending one', () => {
  const { clock, sent, throttle } = setup();
  throttle.move(1, 1, 0, 0);
  clock.advanceTo(10);
  throttle.move(1, 1, 1, 1); // pending; its timer is due at 33.3
  clock.skipTo(50); // ... but has not run yet
  throttle.move(1, 1, 2, 2);
  assert.deepEqual(
    sent.map((m) => m.x),
    [0, 2],
  );
  assert.equal(clock.activeTimers, 0, 'the late timer is cancelled');
  clock.advanceTo(1000);
  assert.equal(sent.length, 2, 'the superseded position is never sent');
});

test('hz sets the interval', () => {
  const { clock, sent, throttle } = setup({ hz: 10 });
  for (let i = 0; i <= 1000; i += 5) {
    clock.advanceTo(i);
    throttle.move(1, 1, i, i);
  }
  clock.advanceTo(3000);
  assert.ok(sent.length >= 10 && sent.length <= 12, `sent ${sent.length} positions`);
  assertSpaced(sent, 100);
  assert.equal(sent.at(-1).x, 1000);
  assert.throws(() => createMoveThrottle({ send() {}, hz: 0 }), RangeError);
  assert.throws(() => createMoveThrottle({ send() {}, hz: NaN }), RangeError);
});

test('flush sends every pending position now; close cancels without sending', () => {
  const { clock, sent, throttle } = setup();
  throttle.move(1, 1, 0, 0);
  throttle.move(1, 2, 0, 0);
  clock.advanceTo(5);
  throttle.move(1, 1, 1, 1);
  throttle.move(1, 2, 2, 2);
  assert.equal(sent.length, 2);

  throttle.flush();
  assert.deepEqual(
    sent.slice(2).map((m) => [m.piece, m.x, m.at]),
    [
      [1, 1, 5],
      [2, 2, 5],
    ],
  );
  assert.equal(clock.activeTimers, 0);
  throttle.flush(); // nothing pending: nothing sent
  assert.equal(sent.length, 4);

  // A flushed position counts as a send for the throttle.
  clock.advanceTo(10);
  throttle.move(1, 1, 3, 3);
  assert.equal(sent.length, 4);
  assert.equal(clock.activeTimers, 1);

  throttle.close();
  assert.equal(clock.activeTimers, 0);
  clock.advanceTo(1000);
  throttle.move(1, 1, 4, 4); // closed: ignored
  throttle.flush();
  clock.advanceTo(2000);
  assert.equal(sent.length, 4);
});

test('the default clock and timers work (no waiting)', () => {
  const sent = [];
  const throttle = createMoveThrottle({ send: (move) => sent.push(move) });
  throttle.move(1, 1, 0, 0);
  throttle.move(1, 1, 1, 1); // pending on a real timer
  assert.equal(sent.length, 1);
  assert.equal(sent[0].t, Math.floor(sent[0].t) >>> 0);
  throttle.flush(); // sends it and clears the real timer
  assert.deepEqual(
    sent.map((m) => [m.x, m.seq]),
    [
      [0, 0],
      [1, 1],
    ],
  );
  throttle.move(1, 1, 2, 2);
  throttle.close(); // the real timer is cleared, so node:test does not wait on it
  assert.equal(sent.length, 2);
});
