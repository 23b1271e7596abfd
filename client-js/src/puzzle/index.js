// Shared puzzle logic: the rules every Jigsync client must apply the same way.
//
// The server stores pieces and judges progress, but it does not snap, group
// or draw (schema/PROTOCOL.md §6: "Snapping and grouping are the clients'
// business; the server only validates"). If two clients disagreed on which
// edge has a tab, or on when a drop snaps, students sharing a board would see
// different puzzles. So this module is the single definition, used by the web
// app, bots and tests alike:
//
// - edgeShape / piecePath: tab and blank edges derived from the board's seed,
//   and the outline used to cut a piece from the picture;
// - progress: the server's formula (sync-server/src/board/geometry.rs),
//   checked against the server on schema/vectors/progress.json;
// - snapDrop: what a drop writes, i.e. group move, clamp, snap and merge.
//
// Pure functions, no dependencies, no I/O: runs in browsers and Node. Inputs
// are never mutated.
//
// Board facts (PROTOCOL.md §6): piece `i` is at row `floor(i / cols)`, column
// `i % cols`; a piece's (x, y) is the top-left of its cell (tabs not
// included) in board units; valid positions are 0 ≤ x ≤ width, 0 ≤ y ≤ height.

/** Two neighbours count as in place when their offset is within this many
 *  board units of the solved one, on each axis (the server's PLACE_TOLERANCE). */
export const PLACE_TOLERANCE = 1.0;

/** A piece is upright when its rotation is within this many degrees of a
 *  multiple of 360 (strictly, like the server). */
export const UPRIGHT_TOLERANCE = 0.5;

/** Default snap radius, as a share of `meta.pieceWidth`. */
export const SNAP_FACTOR = 0.25;

export const SIDES = Object.freeze(['top', 'right', 'bottom', 'left']);

// ---------------------------------------------------------------------------
// Small helpers

/** Reads and checks the grid numbers of a board's meta. */
function grid(meta) {
  if (meta === null || typeof meta !== 'object') throw new TypeError('meta must be an object');
  const { rows, cols, pieceWidth, pieceHeight } = meta;
  if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(cols) || cols < 1) {
    throw new RangeError(`meta.rows and meta.cols must be positive integers (got ${rows}×${cols})`);
  }
  if (!(pieceWidth > 0 && Number.isFinite(pieceWidth) && pieceHeight > 0 && Number.isFinite(pieceHeight))) {
    throw new RangeError('meta.pieceWidth and meta.pieceHeight must be positive numbers');
  }
  return { rows, cols, pw: pieceWidth, ph: pieceHeight };
}

/** Rust's f64::rem_euclid(360), with the same float operations, so a client
 *  and the server agree on "upright" even for negative angles. */
function turn(r) {
  const m = r % 360;
  return m < 0 ? m + 360 : m;
}

/** True when rotation `r` (degrees) counts as upright for progress and snapping. */
export function isUpright(r) {
  const m = turn(r);
  return m < UPRIGHT_TOLERANCE || m > 360 - UPRIGHT_TOLERANCE;
}

/** Neighbouring pairs (left–right and top–bottom) in the solved picture. */
export function pairCount(meta) {
  const { rows, cols } = grid(meta);
  return rows * (cols - 1) + cols * (rows - 1);
}

// ---------------------------------------------------------------------------
// Edges

/**
 * mulberry32, a small 32-bit PRNG (public domain, by Tommy Ettinger). Chosen
 * because it is a few lines of 32-bit integer arithmetic that any language can
 * reproduce bit for bit; cryptographic quality is not needed for tab shapes.
 * Returns the raw unsigned 32-bit draws. One step, all arithmetic mod 2^32:
 *
 *   a  = a + 0x6D2B79F5
 *   t  = (a ^ (a >>> 15)) * (a | 1)
 *   t  = (t + (t ^ (t >>> 7)) * (t | 61)) ^ t
 *   out = t ^ (t >>> 14)
 */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t = (t + Math.imul(t ^ (t >>> 7), t | 61)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/**
 * Tab/blank edges of a board, derived from `meta.seed`. Every client must
 * derive the same edges, so the derivation is part of the protocol:
 *
 * 1. Start mulberry32 (above) with state `meta.seed` (an unsigned 32-bit int).
 * 2. Draw once per interior edge, in this order:
 *    a. vertical edges, between (row, col) and (row, col + 1): row by row,
 *       col = 0 … cols − 2;
 *    b. then horizontal edges, between (row, col) and (row + 1, col): row by
 *       row (row = 0 … rows − 2), col = 0 … cols − 1.
 * 3. A draw whose top bit is 0 (draw < 2^31) gives the first piece of the
 *    pair (the left, resp. upper one) a tab (+1) on that edge, and the second
 *    piece a blank (−1). A top bit of 1 is the other way round.
 *
 * Border edges are flat (0).
 *
 * @param {{ rows: number, cols: number, seed: number }} meta
 * @returns {{ tab(row: number, col: number, side: 'top'|'right'|'bottom'|'left'): -1|0|1 }}
 */
export function edgeShape(meta) {
  const { rows, cols } = grid(meta);
  if (!Number.isInteger(meta.seed) || meta.seed < 0 || meta.seed > 0xffffffff) {
    throw new RangeError(`meta.seed must be an unsigned 32-bit integer (got ${meta.seed})`);
  }
  const draw = mulberry32(meta.seed);
  const sign = () => ((draw() >>> 31) === 0 ? 1 : -1);
  // vertical[row * (cols - 1) + col]: the edge right of (row, col), as seen from (row, col).
  const vertical = new Int8Array(rows * (cols - 1));
  for (let i = 0; i < vertical.length; i++) vertical[i] = sign();
  // horizontal[row * cols + col]: the edge below (row, col), as seen from (row, col).
  const horizontal = new Int8Array((rows - 1) * cols);
  for (let i = 0; i < horizontal.length; i++) horizontal[i] = sign();

  return {
    tab(row, col, side) {
      if (!Number.isInteger(row) || row < 0 || row >= rows || !Number.isInteger(col) || col < 0 || col >= cols) {
        throw new RangeError(`no piece at row ${row}, col ${col} on a ${rows}×${cols} board`);
      }
      switch (side) {
        case 'top':
          return row === 0 ? 0 : -horizontal[(row - 1) * cols + col];
        case 'bottom':
          return row === rows - 1 ? 0 : horizontal[row * cols + col];
        case 'left':
          return col === 0 ? 0 : -vertical[row * (cols - 1) + col - 1];
        case 'right':
          return col === cols - 1 ? 0 : vertical[row * (cols - 1) + col];
        default:
          throw new RangeError(`side must be one of ${SIDES.join(', ')} (got ${side})`);
      }
    },
  };
}

// piecePath is called once per piece; deriving the edges is O(pieces), so keep
// the last derivation per meta object (meta is read-only in the document).
const shapeCache = new WeakMap();

function cachedShape(meta) {
  const hit = shapeCache.get(meta);
  if (hit && hit.rows === meta.rows && hit.cols === meta.cols && hit.seed === meta.seed) return hit.shape;
  const shape = edgeShape(meta);
  shapeCache.set(meta, { rows: meta.rows, cols: meta.cols, seed: meta.seed, shape });
  return shape;
}

// Tab proportions, as shares of the piece's shorter side. The shorter side
// bounds them because a tab on one piece is a blank cut into its neighbour:
// with pieces up to 4:1 (pieceHeight 25–400), a tab sized by the long side
// would cut through the thin neighbour.
const TAB_DEPTH = 0.25; // how far the bump sticks out
const TAB_NECK = 0.1; // half-width where the bump meets the edge
const TAB_HEAD = 0.17; // half-width of the round head

/**
 * One edge in its own frame: u runs along the edge from 0 to `length`, v points
 * out of the piece. Returns [command, ...points] entries with points as
 * [u, v]. The bump is mirror-symmetric about the edge's middle, so the
 * neighbour, walking the same edge the other way with the opposite sign,
 * traces exactly the same curve: the pieces fit.
 */
function edgeSegments(length, sign, size) {
  if (sign === 0) return [['L', [length, 0]]];
  const m = length / 2;
  const d = TAB_DEPTH * size * sign;
  const neck = TAB_NECK * size;
  const head = TAB_HEAD * size;
  // Head: a cubic between the two shoulders at 0.55 d whose control points are
  // set so the top of the curve reaches exactly d (a cubic with both control
  // points at height h over ends at e peaks at e + 0.75 (h − e)).
  const shoulder = 0.55 * d;
  const crown = shoulder + (d - shoulder) / 0.75;
  return [
    ['L', [m - neck, 0]],
    ['C', [m - 0.8 * neck, 0.3 * d], [m - head, 0.2 * d], [m - head, shoulder]],
    ['C', [m - head, crown], [m + head, crown], [m + head, shoulder]],
    ['C', [m + head, 0.2 * d], [m + 0.8 * neck, 0.3 * d], [m + neck, 0]],
    ['L', [length, 0]],
  ];
}

/** Short, stable number text for SVG (3 decimals, no "-0"). */
function fmt(n) {
  const v = Number(n.toFixed(3));
  return String(v === 0 ? 0 : v);
}

/**
 * The outline of piece (row, col) as an SVG path, in board units, relative to
 * the piece's top-left: the cell is (0, 0)–(pieceWidth, pieceHeight) and tabs
 * reach up to 0.25 × min(pieceWidth, pieceHeight) outside it (so negative
 * coordinates occur). Clockwise from the top-left corner: top, right, bottom,
 * left, then closed with Z.
 *
 * To cut the piece from the picture, draw the image scaled to the solved
 * picture (cols × pieceWidth by rows × pieceHeight) translated by
 * (−col × pieceWidth, −row × pieceHeight), clipped by this path.
 *
 * @returns {string}
 */
export function piecePath(meta, row, col) {
  const { pw, ph } = grid(meta);
  const shape = cachedShape(meta);
  const size = Math.min(pw, ph);
  // Each side: its length and where an edge-frame point (u, v) lands in piece
  // coordinates, walking clockwise with v pointing outwards.
  const sides = [
    ['top', pw, (u, v) => [u, -v]],
    ['right', ph, (u, v) => [pw + v, u]],
    ['bottom', pw, (u, v) => [pw - u, ph + v]],
    ['left', ph, (u, v) => [-v, ph - u]],
  ];
  const parts = ['M 0 0'];
  for (const [side, length, place] of sides) {
    for (const [command, ...points] of edgeSegments(length, shape.tab(row, col, side), size)) {
      const coords = points.map(([u, v]) => place(u, v).map(fmt).join(' '));
      parts.push(`${command} ${coords.join(' ')}`);
    }
  }
  parts.push('Z');
  return parts.join(' ');
}

// ---------------------------------------------------------------------------
// Progress

/** True when `b` sits at (dx, dy) from `a` within the server's tolerance and
 *  both are upright: the pair counts for progress. Same float operations as
 *  the server's `placed`, so boundary cases come out the same. */
function placed(a, b, dx, dy) {
  return (
    isUpright(a.r) &&
    isUpright(b.r) &&
    Math.abs(b.x - a.x - dx) <= PLACE_TOLERANCE &&
    Math.abs(b.y - a.y - dy) <= PLACE_TOLERANCE
  );
}

/**
 * Share of neighbouring pairs in their solved relative place, anywhere on the
 * board (0–1); the server's formula (geometry.rs `progress`). 0 when the
 * number of pieces does not match the board. A missing entry (a hole in the
 * array) makes its pairs not count.
 *
 * The server computes the same ratio and sends it as f32; this returns the
 * f64 ratio. They differ by less than 1e-7, and both are exactly 1 when every
 * pair is in place, so `progress(...) === 1` agrees with the server's `done`.
 *
 * @param {object} meta  the board's meta
 * @param {Array<{x:number,y:number,r:number,z:number,g:number}>} pieces  indexed by piece id
 * @returns {number}
 */
export function progress(meta, pieces) {
  const { rows, cols, pw, ph } = grid(meta);
  const total = rows * (cols - 1) + cols * (rows - 1);
  if (total === 0 || !Array.isArray(pieces) || pieces.length !== rows * cols) return 0;
  let correct = 0;
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      const here = pieces[row * cols + col];
      if (!here) continue;
      const right = col + 1 < cols ? pieces[row * cols + col + 1] : null;
      const below = row + 1 < rows ? pieces[(row + 1) * cols + col] : null;
      if (right && placed(here, right, pw, 0)) correct++;
      if (below && placed(here, below, 0, ph)) correct++;
    }
  }
  return correct / total;
}

// ---------------------------------------------------------------------------
// Dropping, snapping and grouping

/**
 * What a drop writes. The client dropped `piece` with its top-left at (x, y).
 *
 * 1. Move: the piece's whole group (every piece with the same `g`) moves by
 *    the same offset, so snapped pieces stay together.
 * 2. Clamp: the offset is limited so every piece of the group keeps its
 *    top-left within [0, width] × [0, height] (the server refuses anything
 *    else). Clamping comes before snapping so that a snap is never undone by
 *    a clamp; and since clamping only brings the group closer to any
 *    on-board position, it never loses a snap that could be made.
 * 3. Snap: among the solved neighbours of the group's pieces that are outside
 *    the group, both pieces upright, the one whose position is nearest
 *    (Euclidean distance) to where it would sit in solved relation, within
 *    `tolerance`, wins: the group shifts by that remainder to align exactly
 *    with it, provided the shifted group still fits on the board (a snap
 *    that would push pieces off the board is skipped; the next nearest is
 *    tried). Ties go to the group's piece with the lowest id, then to its
 *    top, right, bottom, left neighbour in that order.
 *    Only the moved group shifts; the neighbour's group is never moved, as
 *    another client may be holding it.
 * 4. Merge: the target's group joins. Then, with positions final, every other
 *    group that now has a neighbouring pair with the merged group in place
 *    within min(tolerance, PLACE_TOLERANCE) on each axis joins too, repeatedly (this is
 *    what fills a gap: a piece dropped between two groups that are already
 *    correctly spaced joins both). Nothing else moves. All pieces of the
 *    merged groups get g = the smallest of their group ids. This pass also
 *    runs when no shift was needed, so a drop exactly in place still merges.
 * 5. Stack: the moved pieces get z above the board's current maximum, in
 *    their previous relative order.
 *
 * @param {object} meta  the board's meta
 * @param {Array<{x:number,y:number,r:number,z:number,g:number}>} pieces  indexed by piece id; not mutated
 * @param {number} piece  the dropped piece's id
 * @param {number} x  where its top-left was dropped
 * @param {number} y
 * @param {object} [options]
 * @param {number} [options.tolerance=0.25 × pieceWidth]  snap radius in board units; 0 turns snapping off
 *   (only exact alignment then merges)
 * @param {(piece: number) => boolean} [options.isHeld]  true for pieces another connection holds (from
 *   `grab` frames). Their groups are neither snapped to nor merged: that client's drop rewrites its
 *   whole group and would undo our `g` on some of its pieces.
 * @returns {{ moves: Array<{piece:number,x:number,y:number,r:number,z:number,g:number}>, snapped: boolean }}
 *   `moves` lists every piece whose value changed, by ascending id (write them all in one Yjs
 *   transaction); `snapped` is true when the group merged with at least one other group.
 */
export function snapDrop(meta, pieces, piece, x, y, { tolerance, isHeld } = {}) {
  const { rows, cols, pw, ph } = grid(meta);
  const { width, height } = meta;
  if (!(width >= 0 && height >= 0 && Number.isFinite(width) && Number.isFinite(height))) {
    throw new RangeError('meta.width and meta.height must be non-negative numbers');
  }
  if (!Array.isArray(pieces)) throw new TypeError('pieces must be an array indexed by piece id');
  if (!Number.isInteger(piece) || piece < 0 || piece >= pieces.length || !pieces[piece]) {
    throw new RangeError(`no piece ${piece}`);
  }
  if (!Number.isFinite(x) || !Number.isFinite(y)) throw new TypeError('x and y must be finite numbers');
  const radius = tolerance ?? SNAP_FACTOR * pw;
  if (!(radius >= 0)) throw new RangeError('tolerance must be a non-negative number');
  const held = typeof isHeld === 'function' ? isHeld : () => false;

  const dropped = pieces[piece];
  const members = [];
  for (let i = 0; i < pieces.length; i++) if (pieces[i] && pieces[i].g === dropped.g) members.push(i);
  const inGroup = new Set(members);

  // 1–2. Offset of the drop, clamped to the range that keeps every member on the board.
  let loX = -Infinity;
  let hiX = Infinity;
  let loY = -Infinity;
  let hiY = Infinity;
  for (const i of members) {
    const p = pieces[i];
    loX = Math.max(loX, -p.x);
    hiX = Math.min(hiX, width - p.x);
    loY = Math.max(loY, -p.y);
    hiY = Math.min(hiY, height - p.y);
  }
  // If the group could not fit at all (impossible with the server's geometry:
  // a group is at most the picture, the area twice its size), keep its
  // top-left edge on the board.
  const clamp = (v, lo, hi) => (lo > hi ? lo : Math.min(Math.max(v, lo), hi));
  let dx = clamp(x - dropped.x, loX, hiX);
  let dy = clamp(y - dropped.y, loY, hiY);

  // Solved relation: where neighbour n sits relative to piece i.
  const neighbours = (i) => {
    const row = Math.floor(i / cols);
    const col = i % cols;
    const out = [];
    if (row > 0) out.push([i - cols, 0, -ph]);
    if (col + 1 < cols) out.push([i + 1, pw, 0]);
    if (row + 1 < rows) out.push([i + cols, 0, ph]);
    if (col > 0) out.push([i - 1, -pw, 0]);
    return out;
  };
  const usable = (n) => n < pieces.length && pieces[n] && isUpright(pieces[n].r) && !held(n);

  // 3. Snap: the nearest candidate within the radius whose alignment fits the board.
  let best = null;
  for (const i of members) {
    const p = pieces[i];
    if (!isUpright(p.r)) continue;
    for (const [n, ox, oy] of neighbours(i)) {
      if (inGroup.has(n) || !usable(n)) continue;
      const q = pieces[n];
      // How much further the group must move for the pair to sit exactly.
      const ex = q.x - (p.x + dx + ox);
      const ey = q.y - (p.y + dy + oy);
      const distance = Math.hypot(ex, ey);
      if (distance > radius || (best && distance >= best.distance)) continue;
      const sx = dx + ex;
      const sy = dy + ey;
      if (sx < loX || sx > hiX || sy < loY || sy > hiY) continue;
      best = { distance, sx, sy, target: n };
    }
  }
  if (best) {
    dx = best.sx;
    dy = best.sy;
  }

  // Final positions: moved members shifted, everyone else where they were.
  const at = (i) => (inGroup.has(i) ? { ...pieces[i], x: pieces[i].x + dx, y: pieces[i].y + dy } : pieces[i]);

  // 4. Merge every group with a pair in place against the merged set, to a fixed point.
  const mergeTolerance = Math.min(radius, PLACE_TOLERANCE);
  const inPlace = (a, b, ox, oy) =>
    isUpright(a.r) &&
    isUpright(b.r) &&
    Math.abs(b.x - a.x - ox) <= mergeTolerance &&
    Math.abs(b.y - a.y - oy) <= mergeTolerance;
  const groups = new Set([dropped.g]);
  const merged = new Set(members); // pieces of every group in `groups`
  let frontier = [...members];
  const join = (g) => {
    groups.add(g);
    for (let k = 0; k < pieces.length; k++) {
      if (pieces[k] && pieces[k].g === g && !merged.has(k)) {
        merged.add(k);
        frontier.push(k);
      }
    }
  };
  // The snap target joins outright: it is aligned by construction, whatever
  // float rounding makes of the last bit.
  if (best) join(pieces[best.target].g);
  while (frontier.length > 0) {
    const current = frontier;
    frontier = [];
    for (const i of current) {
      for (const [n, ox, oy] of neighbours(i)) {
        if (!merged.has(n) && usable(n) && inPlace(at(i), at(n), ox, oy)) join(pieces[n].g);
      }
    }
  }
  const groupId = Math.min(...groups);

  // 5. Stack the moved pieces on top, keeping their order among themselves.
  let maxZ = -Infinity;
  for (const p of pieces) if (p && Number.isFinite(p.z)) maxZ = Math.max(maxZ, p.z);
  if (maxZ === -Infinity) maxZ = 0;
  const newZ = new Map(
    [...members].sort((a, b) => pieces[a].z - pieces[b].z || a - b).map((i, rank) => [i, maxZ + 1 + rank]),
  );

  const moves = [];
  for (const i of [...merged].sort((a, b) => a - b)) {
    const before = pieces[i];
    const after = { ...at(i), g: groupId };
    if (newZ.has(i)) after.z = newZ.get(i);
    const changed = ['x', 'y', 'r', 'z', 'g'].some((k) => after[k] !== before[k]);
    if (changed) moves.push({ piece: i, x: after.x, y: after.y, r: after.r, z: after.z, g: after.g });
  }
  return { moves, snapped: groups.size > 1 };
}
