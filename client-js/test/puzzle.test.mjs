// Tests for src/puzzle/index.js, the puzzle rules every client shares: edges
// from the seed, piece outlines, drop/snap/merge, and progress, which must
// agree with the server's on schema/vectors/progress.json (written by
// sync-server/tests/progress_vectors.rs from the server's own code).
// No server, no clock: pure functions only.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { SIDES, edgeShape, isUpright, pairCount, piecePath, progress, snapDrop } from '../src/puzzle/index.js';

/** A board like the server's `geometry::meta`: pieces 100 wide, area twice the picture. */
function board(rows, cols, { pieceHeight = 75, seed = 1234567 } = {}) {
  return {
    image: '/uploads/test.png',
    rows,
    cols,
    pieceWidth: 100,
    pieceHeight,
    seed,
    width: 2 * cols * 100,
    height: 2 * rows * pieceHeight,
  };
}

/** Every piece in its solved place, the picture's top-left at (ox, oy); each its own group. */
function solved(meta, ox = 0, oy = 0) {
  return Array.from({ length: meta.rows * meta.cols }, (_, i) => ({
    x: ox + (i % meta.cols) * meta.pieceWidth,
    y: oy + Math.floor(i / meta.cols) * meta.pieceHeight,
    r: 0,
    z: i,
    g: i,
  }));
}

/** Pieces far apart on a grid with gaps, no two in place; each its own group. */
function spread(meta) {
  return Array.from({ length: meta.rows * meta.cols }, (_, i) => ({
    x: (i % meta.cols) * 2 * meta.pieceWidth,
    y: Math.floor(i / meta.cols) * 2 * meta.pieceHeight,
    r: 0,
    z: i,
    g: i,
  }));
}

function deepFreeze(value) {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The board after writing `moves`, as the caller would into the Yjs map. */
function apply(pieces, moves) {
  const next = pieces.map((p) => ({ ...p }));
  for (const { piece, x, y, r, z, g } of moves) next[piece] = { x, y, r, z, g };
  return next;
}

function tabs(meta) {
  const shape = edgeShape(meta);
  const out = [];
  for (let row = 0; row < meta.rows; row++) {
    for (let col = 0; col < meta.cols; col++) out.push(SIDES.map((s) => shape.tab(row, col, s)));
  }
  return out;
}

// ---------------------------------------------------------------------------
// Edges

test('edges are deterministic per seed and differ between seeds', () => {
  const meta = board(6, 8);
  assert.deepEqual(tabs(meta), tabs({ ...meta }));
  assert.notDeepEqual(tabs(meta), tabs({ ...meta, seed: meta.seed + 1 }));
});

test('neighbouring edges are complementary, borders flat, interior edges ±1', () => {
  for (const [rows, cols, seed] of [
    [2, 2, 0],
    [6, 8, 1234567],
    [40, 25, 0xffffffff],
  ]) {
    const meta = board(rows, cols, { seed });
    const shape = edgeShape(meta);
    const seen = new Set();
    for (let row = 0; row < rows; row++) {
      for (let col = 0; col < cols; col++) {
        const t = (side) => shape.tab(row, col, side);
        if (row === 0) assert.equal(t('top'), 0);
        else assert.equal(t('top'), -shape.tab(row - 1, col, 'bottom'), `top of ${row},${col}`);
        if (col === 0) assert.equal(t('left'), 0);
        else assert.equal(t('left'), -shape.tab(row, col - 1, 'right'), `left of ${row},${col}`);
        if (row === rows - 1) assert.equal(t('bottom'), 0);
        else assert.ok(Math.abs(t('bottom')) === 1, `bottom of ${row},${col}`);
        if (col === cols - 1) assert.equal(t('right'), 0);
        else assert.ok(Math.abs(t('right')) === 1, `right of ${row},${col}`);
        if (row + 1 < rows) seen.add(t('bottom'));
      }
    }
    // (A 2×2 board has only four interior edges; they may all point one way.)
    if (rows * cols >= 12) assert.deepEqual([...seen].sort(), [-1, 1], 'both tabs and blanks occur');
  }
});

/** The documented derivation (edgeShape's comment), written again from the
 *  text with BigInt arithmetic mod 2^32: another client following the
 *  comment must get the same edges. */
function documentedTabs(meta) {
  const M = (v) => BigInt.asUintN(32, v);
  let a = BigInt(meta.seed);
  const draw = () => {
    a = M(a + 0x6d2b79f5n);
    let t = M((a ^ (a >> 15n)) * (a | 1n));
    t = M(t + M((t ^ (t >> 7n)) * (t | 61n))) ^ t;
    return t ^ (t >> 14n);
  };
  const sign = () => (draw() < 2n ** 31n ? 1 : -1);
  const right = [];
  const below = [];
  for (let row = 0; row < meta.rows; row++) for (let col = 0; col + 1 < meta.cols; col++) right.push(sign());
  for (let row = 0; row + 1 < meta.rows; row++) for (let col = 0; col < meta.cols; col++) below.push(sign());
  const out = [];
  for (let row = 0; row < meta.rows; row++) {
    for (let col = 0; col < meta.cols; col++) {
      const v = (r, c) => right[r * (meta.cols - 1) + c];
      const h = (r, c) => below[r * meta.cols + c];
      out.push([
        row === 0 ? 0 : -h(row - 1, col),
        col === meta.cols - 1 ? 0 : v(row, col),
        row === meta.rows - 1 ? 0 : h(row, col),
        col === 0 ? 0 : -v(row, col - 1),
      ]);
    }
  }
  return out;
}

test('edges follow the documented derivation (mulberry32, draw order, top bit)', () => {
  for (const seed of [0, 1, 1234567, 0x80000000, 0xffffffff]) {
    const meta = board(5, 7, { seed });
    assert.deepEqual(tabs(meta), documentedTabs(meta), `seed ${seed}`);
  }
});

test('edges are pinned for one board (a change here changes every client)', () => {
  // [top, right, bottom, left] per piece of a 3×4 board with seed 1234567.
  assert.deepEqual(tabs(board(3, 4)), [
    [0, -1, 1, 0],
    [0, 1, -1, 1],
    [0, 1, 1, -1],
    [0, 0, -1, -1],
    [-1, 1, -1, 0],
    [1, 1, 1, -1],
    [-1, 1, 1, -1],
    [1, 0, 1, -1],
    [1, 1, 0, 0],
    [-1, 1, 0, -1],
    [-1, 1, 0, -1],
    [-1, 0, 0, -1],
  ]);
});

test('edgeShape refuses bad sides, positions and seeds', () => {
  const shape = edgeShape(board(2, 3));
  assert.throws(() => shape.tab(0, 0, 'up'), RangeError);
  assert.throws(() => shape.tab(2, 0, 'top'), RangeError);
  assert.throws(() => shape.tab(0, -1, 'top'), RangeError);
  assert.throws(() => edgeShape({ ...board(2, 3), seed: -1 }), RangeError);
  assert.throws(() => edgeShape({ ...board(2, 3), seed: 2 ** 32 }), RangeError);
});

// ---------------------------------------------------------------------------
// Piece outlines

/** Parses an absolute M/L/C/Z path into commands with numeric points. */
function parsePath(d) {
  const tokens = d.trim().split(/\s+/);
  const out = [];
  for (let i = 0; i < tokens.length; ) {
    const command = tokens[i++];
    const count = { M: 1, L: 1, C: 3, Z: 0 }[command];
    assert.notEqual(count, undefined, `unexpected command ${command} in ${d}`);
    const points = [];
    for (let k = 0; k < count; k++, i += 2) {
      const p = [Number(tokens[i]), Number(tokens[i + 1])];
      assert.ok(p.every(Number.isFinite), `bad number near ${tokens[i]} in ${d}`);
      points.push(p);
    }
    out.push({ command, points });
  }
  return out;
}

test('piecePath is a closed outline with one bump per non-flat side', () => {
  const meta = board(3, 4);
  const shape = edgeShape(meta);
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col < 4; col++) {
      const parts = parsePath(piecePath(meta, row, col));
      assert.equal(parts[0].command, 'M');
      assert.deepEqual(parts[0].points[0], [0, 0]);
      assert.equal(parts.at(-1).command, 'Z');
      assert.deepEqual(parts.at(-2).points.at(-1), [0, 0], 'the outline ends where it started');
      const bumps = SIDES.filter((s) => shape.tab(row, col, s) !== 0).length;
      assert.equal(parts.filter((p) => p.command === 'C').length, 3 * bumps, `piece ${row},${col}`);
    }
  }
});

/** Points along the drawn outline (curves sampled, not their control points). */
function outline(d) {
  const out = [];
  let at = null;
  for (const { command, points } of parsePath(d)) {
    if (command === 'C') {
      const [p1, p2, p3] = points;
      for (let k = 1; k <= 32; k++) {
        const t = k / 32;
        const w = [(1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t * t * (1 - t), t ** 3];
        out.push([0, 1].map((a) => w[0] * at[a] + w[1] * p1[a] + w[2] * p2[a] + w[3] * p3[a]));
      }
    } else if (points.length) {
      out.push(points[0]);
    }
    if (points.length) at = points.at(-1);
  }
  return out;
}

test('piecePath puts tabs outside the cell and blanks inside it', () => {
  const meta = board(3, 4);
  const shape = edgeShape(meta);
  const { pieceWidth: pw, pieceHeight: ph } = meta;
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col < 4; col++) {
      const points = outline(piecePath(meta, row, col));
      const xs = points.map((p) => p[0]);
      const ys = points.map((p) => p[1]);
      const reach = {
        top: -Math.min(...ys),
        right: Math.max(...xs) - pw,
        bottom: Math.max(...ys) - ph,
        left: -Math.min(...xs),
      };
      for (const side of SIDES) {
        const t = shape.tab(row, col, side);
        if (t === 1) {
          assert.ok(reach[side] > 0.2 * Math.min(pw, ph), `${row},${col} ${side} tab sticks out`);
          assert.ok(reach[side] <= 0.25 * Math.min(pw, ph) + 1e-3, `${row},${col} ${side} tab is not too deep`);
        } else {
          assert.ok(reach[side] <= 0, `${row},${col} ${side} stays within the cell`);
        }
      }
    }
  }
});

test('the right edge of a piece and the left edge of its neighbour are the same curve', () => {
  const meta = board(3, 4, { pieceHeight: 133.33334350585938 });
  const { pieceWidth: pw, pieceHeight: ph } = meta;
  const key = ([x, y]) => `${x.toFixed(2)},${y.toFixed(2)}`;
  const pointsWhere = (row, col, keep, shift = [0, 0]) =>
    new Set(
      parsePath(piecePath(meta, row, col))
        .flatMap((p) => p.points)
        .filter(keep)
        .map(([x, y]) => key([x + shift[0], y + shift[1]])),
    );
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col + 1 < 4; col++) {
      // Points strictly between the corners, on or beyond the shared edge.
      const mine = pointsWhere(row, col, ([x, y]) => x >= pw - 30 && y > 0 && y < ph);
      const theirs = pointsWhere(row, col + 1, ([x, y]) => x <= 30 && y > 0 && y < ph, [pw, 0]);
      assert.ok(mine.size >= 9, 'the edge has a bump');
      assert.deepEqual([...mine].sort(), [...theirs].sort(), `edge between ${row},${col} and ${row},${col + 1}`);
    }
  }
  for (let row = 0; row + 1 < 3; row++) {
    for (let col = 0; col < 4; col++) {
      const mine = pointsWhere(row, col, ([x, y]) => y >= ph - 30 && x > 0 && x < pw);
      const theirs = pointsWhere(row + 1, col, ([x, y]) => y <= 30 && x > 0 && x < pw, [0, ph]);
      assert.ok(mine.size >= 9, 'the edge has a bump');
      assert.deepEqual([...mine].sort(), [...theirs].sort(), `edge between ${row},${col} and ${row + 1},${col}`);
    }
  }
});

// ---------------------------------------------------------------------------
// Progress

test('progress: solved anywhere is 1, scattered is 0, one piece off breaks its pairs', () => {
  const meta = board(3, 4);
  assert.equal(pairCount(meta), 17);
  assert.equal(progress(meta, solved(meta)), 1);
  assert.equal(progress(meta, solved(meta, 312.5, 77)), 1);
  assert.equal(progress(meta, spread(meta)), 0);
  const off = solved(meta);
  off[5] = { ...off[5], x: off[5].x + 1.5 }; // an inner piece: four pairs
  assert.equal(progress(meta, off), 13 / 17);
  const nearly = solved(meta);
  nearly[5] = { ...nearly[5], x: nearly[5].x + 1, y: nearly[5].y - 0.5 }; // within 1 unit
  assert.equal(progress(meta, nearly), 1);
});

test('progress: rotated pieces do not count, full turns and tiny tilts do', () => {
  const meta = board(3, 4);
  const turned = (r) => solved(meta).map((p, i) => (i === 0 ? { ...p, r } : p)); // corner: two pairs
  assert.equal(progress(meta, turned(90)), 15 / 17);
  assert.equal(progress(meta, turned(0.5)), 15 / 17);
  assert.equal(progress(meta, turned(0.49)), 1);
  assert.equal(progress(meta, turned(-0.49)), 1);
  assert.equal(progress(meta, turned(360)), 1);
  assert.equal(progress(meta, turned(-720)), 1);
  assert.equal(progress(meta, solved(meta).map((p) => ({ ...p, r: 180 }))), 0);
  assert.ok(isUpright(359.6) && !isUpright(359.5) && !isUpright(-0.5));
});

test('progress: a piece count that does not match the board gives 0', () => {
  const meta = board(3, 4);
  assert.equal(progress(meta, solved(meta).slice(1)), 0);
  assert.equal(progress(meta, [...solved(meta), { x: 0, y: 0, r: 0, z: 0, g: 0 }]), 0);
  assert.equal(progress(meta, []), 0);
});

test('progress agrees with the server on every vector in schema/vectors/progress.json', () => {
  const url = new URL('../../schema/vectors/progress.json', import.meta.url);
  const cases = JSON.parse(readFileSync(url, 'utf8'));
  assert.ok(cases.length >= 50, `only ${cases.length} cases`);
  const seen = new Set();
  for (const c of cases) {
    const got = progress(c.meta, c.pieces);
    assert.ok(Math.abs(got - c.progress) <= 1e-6, `${c.name}: js ${got}, server ${c.progress}`);
    // `done` is progress = 1 on the server; the client must agree exactly.
    assert.equal(got === 1, c.progress === 1, `${c.name}: done differs`);
    seen.add(c.progress === 1 ? 'one' : c.progress === 0 ? 'zero' : 'partial');
  }
  assert.deepEqual([...seen].sort(), ['one', 'partial', 'zero'], 'the vectors cover solved, partial and zero');
});

// ---------------------------------------------------------------------------
// Drop, snap, merge

test('snapDrop moves the whole group by the same offset and nothing else', () => {
  const meta = board(3, 4);
  const pieces = spread(meta);
  // Pieces 0 and 1 snapped together earlier: group 0, side by side.
  pieces[1] = { ...pieces[1], x: 100, y: 0, g: 0 };
  const { moves, snapped } = snapDrop(meta, pieces, 1, 420, 300);
  assert.equal(snapped, false);
  assert.deepEqual(
    moves.map((m) => [m.piece, m.x, m.y, m.g]),
    [
      [0, 320, 300, 0],
      [1, 420, 300, 0],
    ],
  );
});

test('snapDrop snaps to a neighbour within the tolerance and merges into the smaller group id', () => {
  const meta = board(3, 4);
  const pieces = spread(meta); // piece 5 (row 1, col 1) sits at (200, 150)
  // Drop piece 6 (its right neighbour) 12 right and 9 up of its solved spot: distance 15 < 25.
  const { moves, snapped } = snapDrop(meta, pieces, 6, 200 + 100 + 12, 150 - 9);
  assert.equal(snapped, true);
  const after = apply(pieces, moves);
  assert.deepEqual([after[6].x, after[6].y], [300, 150]);
  assert.equal(after[6].g, 5);
  assert.deepEqual(after[5], { ...pieces[5], g: 5 }, 'the target does not move; its id is already the smaller');
  assert.deepEqual(
    moves.map((m) => m.piece),
    [6],
  );
  assert.equal(progress(meta, after), 1 / 17);
});

test('snapDrop: the target group gets the smaller id when the dropped group has it', () => {
  const meta = board(3, 4);
  const pieces = spread(meta);
  // Group 7 is pieces 7 and 11, one above the other.
  pieces[11] = { ...pieces[11], x: pieces[7].x, y: pieces[7].y + meta.pieceHeight, g: 7 };
  // Piece 3 (row 0, col 3) belongs above 7: drop it 10 units off. Its id, 3, is the smaller.
  const { moves, snapped } = snapDrop(meta, pieces, 3, pieces[7].x + 6, pieces[7].y - meta.pieceHeight - 8);
  assert.equal(snapped, true);
  const after = apply(pieces, moves);
  assert.deepEqual([after[3].x, after[3].y], [pieces[7].x, pieces[7].y - meta.pieceHeight]);
  assert.deepEqual([after[3].g, after[7].g, after[11].g], [3, 3, 3]);
  assert.deepEqual(
    moves.map((m) => m.piece),
    [3, 7, 11],
    'the target group is rewritten with the new id',
  );
  assert.deepEqual([after[7].x, after[7].y, after[7].z], [pieces[7].x, pieces[7].y, pieces[7].z]);
});

test('snapDrop does not snap beyond the tolerance, and honours a custom one', () => {
  const meta = board(3, 4);
  const pieces = spread(meta);
  // 20 right and 16 down of the solved spot: distance 25.6 > 25 (0.25 × pieceWidth).
  const far = snapDrop(meta, pieces, 6, 300 + 20, 150 + 16);
  assert.equal(far.snapped, false);
  assert.deepEqual([far.moves[0].x, far.moves[0].y, far.moves[0].g], [320, 166, 6]);
  // Exactly at the default radius still snaps.
  assert.equal(snapDrop(meta, pieces, 6, 300 + 15, 150 + 20).snapped, true);
  // With a wider radius the same drop snaps; with 0 nothing snaps.
  assert.equal(snapDrop(meta, pieces, 6, 300 + 20, 150 + 16, { tolerance: 30 }).snapped, true);
  assert.equal(snapDrop(meta, pieces, 6, 300 + 0.1, 150, { tolerance: 0 }).snapped, false);
});

test('snapDrop needs both pieces upright and skips neighbours another client holds', () => {
  const meta = board(3, 4);
  const pieces = spread(meta);
  const tilted = pieces.map((p, i) => (i === 5 ? { ...p, r: 90 } : p));
  assert.equal(snapDrop(meta, tilted, 6, 305, 150).snapped, false);
  const dropTilted = pieces.map((p, i) => (i === 6 ? { ...p, r: 270 } : p));
  assert.equal(snapDrop(meta, dropTilted, 6, 305, 150).snapped, false);
  assert.equal(snapDrop(meta, pieces, 6, 305, 150, { isHeld: (n) => n === 5 }).snapped, false);
  assert.equal(snapDrop(meta, pieces, 6, 305, 150, { isHeld: (n) => n === 4 }).snapped, true);
});

test('snapDrop picks the nearest candidate', () => {
  const meta = board(3, 4);
  const pieces = spread(meta);
  // Piece 1 (row 0, col 1) is dropped at (112, 10). Piece 0, at (0, 0), wants
  // it at (100, 0): 15.6 away. Piece 2, moved to (215, 14), wants it at
  // (115, 14): 5 away. Both are within 25; the nearer one wins.
  pieces[2] = { ...pieces[2], x: 215, y: 14 };
  const { moves } = snapDrop(meta, pieces, 1, 112, 10);
  const after = apply(pieces, moves);
  assert.deepEqual([after[1].x, after[1].y, after[1].g], [115, 14, 1]);
  assert.equal(after[2].g, 1);
  assert.equal(after[0].g, 0, 'piece 0 is not in place after the snap, so it does not join');
});

test('snapDrop fills a gap: groups already in place around the drop join too', () => {
  const meta = board(3, 4);
  const pieces = spread(meta);
  // Pieces 4 and 6 sit exactly 200 apart on row 1; piece 5 belongs between them.
  pieces[4] = { ...pieces[4], x: 300, y: 200 };
  pieces[6] = { ...pieces[6], x: 500, y: 200, g: 9 };
  pieces[9] = { ...pieces[9], x: 700, y: 0, g: 9 }; // another member of 6's group, elsewhere
  const { moves, snapped } = snapDrop(meta, pieces, 5, 410, 195);
  assert.equal(snapped, true);
  const after = apply(pieces, moves);
  assert.deepEqual([after[5].x, after[5].y], [400, 200]);
  assert.deepEqual([after[4].g, after[5].g, after[6].g, after[9].g], [4, 4, 4, 4]);
  assert.equal(progress(meta, after), 2 / 17);
  // But a group off by more than the server's 1 unit is left alone: 5 snaps
  // to 4 (5.4 away; 6 wants it 7.3 away) and 6 is then 2 units off.
  pieces[6] = { ...pieces[6], x: 502 };
  const partial = apply(pieces, snapDrop(meta, pieces, 5, 395, 198).moves);
  assert.deepEqual([partial[5].x, partial[5].y], [400, 200]);
  assert.deepEqual([partial[4].g, partial[5].g, partial[6].g], [4, 4, 9]);
});

test('snapDrop clamps the group to the board, keeping its shape', () => {
  const meta = board(3, 4); // area 800 × 450
  const pieces = spread(meta);
  pieces[1] = { ...pieces[1], x: 100, y: 0, g: 0 }; // group 0: pieces 0 and 1 side by side
  const left = apply(pieces, snapDrop(meta, pieces, 1, 50, -30).moves);
  assert.deepEqual([left[0].x, left[0].y, left[1].x, left[1].y], [0, 0, 100, 0]);
  const right = apply(pieces, snapDrop(meta, pieces, 0, 5000, 5000).moves);
  assert.deepEqual([right[0].x, right[0].y, right[1].x, right[1].y], [700, 450, 800, 450]);
  for (const p of right) assert.ok(p.x >= 0 && p.x <= meta.width && p.y >= 0 && p.y <= meta.height);
});

test('snapDrop skips a snap that would push the group off the board', () => {
  const meta = board(3, 4);
  const pieces = spread(meta);
  pieces[1] = { ...pieces[1], x: 100, y: 0, g: 0 }; // group 0: pieces 0 and 1 at the left edge
  pieces[5] = { ...pieces[5], x: 80, y: 75 }; // below 1, but 20 too far left
  // Piece 1 is dropped 5 left (clamped: 0 is at x = 0) and 3 down. Aligning 1
  // above 5 would need x = -20 for piece 0, which the server refuses.
  const { moves, snapped } = snapDrop(meta, pieces, 1, 95, 3);
  assert.equal(snapped, false);
  const after = apply(pieces, moves);
  assert.deepEqual([after[0].x, after[0].y, after[1].x, after[1].y], [0, 3, 100, 3]);
  // One unit further right, the same snap fits and is taken.
  const moved = pieces.map((p, i) => (i === 5 ? { ...p, x: 100 } : p));
  assert.equal(snapDrop(meta, moved, 1, 95, 3).snapped, true);
});

test('snapDrop stacks the moved group above everything, in its own order', () => {
  const meta = board(3, 4);
  const pieces = spread(meta).map((p, i) => ({ ...p, z: 100 - i })); // max z 100
  pieces[1] = { ...pieces[1], x: 100, y: 0, g: 0 }; // z 99
  const { moves } = snapDrop(meta, pieces, 0, 400, 300);
  const z = Object.fromEntries(moves.map((m) => [m.piece, m.z]));
  assert.deepEqual(z, { 0: 102, 1: 101 }, 'above 100, piece 0 still above piece 1');
});

test('snapDrop never mutates its input and lists exactly the changed pieces', () => {
  const meta = deepFreeze(board(3, 4));
  const pieces = spread(meta);
  pieces[4] = { ...pieces[4], x: 300, y: 200 };
  pieces[6] = { ...pieces[6], x: 500, y: 200, g: 2 };
  pieces[2] = { ...pieces[2], x: 500, y: 200 - meta.pieceHeight, g: 2 };
  const copy = structuredClone(pieces);
  deepFreeze(pieces);
  const { moves } = snapDrop(meta, pieces, 5, 404, 197); // throws if it writes to a frozen object
  assert.deepEqual(pieces, copy);
  const after = apply(pieces, moves);
  const changed = after.flatMap((p, i) => (JSON.stringify(p) === JSON.stringify(copy[i]) ? [] : [i]));
  assert.deepEqual(
    moves.map((m) => m.piece),
    changed,
  );
  // 5 moved and 4 took group id 2; 2 and 6 already had it, so they are not listed.
  assert.deepEqual(changed, [4, 5]);
  assert.equal(after[4].g, 2);
  assert.ok(moves.every((m) => Object.keys(m).join() === 'piece,x,y,r,z,g'));
});

test('snapDrop refuses bad input', () => {
  const meta = board(2, 2);
  const pieces = spread(meta);
  assert.throws(() => snapDrop(meta, pieces, 4, 0, 0), RangeError);
  assert.throws(() => snapDrop(meta, pieces, 0, Number.NaN, 0), TypeError);
  assert.throws(() => snapDrop(meta, pieces, 0, 0, 0, { tolerance: -1 }), RangeError);
});

test('dropping every piece near its place solves the board into one group 0', () => {
  const meta = board(4, 5, { pieceHeight: 70.3125 });
  let pieces = spread(meta).map((p) => ({ ...p, x: p.x * 0.9, y: p.y * 0.9 }));
  const jitter = [
    [7, -3],
    [-11, 9],
    [0, 14],
    [-15, -10],
    [4, 4],
  ];
  // Anchor: piece 0 at (100, 50); then every other piece, in reading order,
  // dropped a little off its solved place relative to it.
  pieces = apply(pieces, snapDrop(meta, pieces, 0, 100, 50).moves);
  for (let i = 1; i < pieces.length; i++) {
    const [jx, jy] = jitter[i % jitter.length];
    const x = pieces[0].x + (i % meta.cols) * meta.pieceWidth + jx;
    const y = pieces[0].y + Math.floor(i / meta.cols) * meta.pieceHeight + jy;
    const { moves, snapped } = snapDrop(meta, pieces, i, x, y);
    assert.equal(snapped, true, `piece ${i} snaps`);
    pieces = apply(pieces, moves);
  }
  assert.equal(progress(meta, pieces), 1);
  assert.ok(pieces.every((p) => p.g === 0));
});
