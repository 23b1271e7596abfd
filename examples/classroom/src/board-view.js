// One puzzle board drawn as SVG, live: pieces come from the board's Yjs
// replica, other people's drags from the motion lane, and (when the view is
// interactive) the person's own drags go out through grab / move / drop.
//
// Every piece is one <path> in the solved picture's coordinates, filled with
// one picture pattern per board and moved with a translate. The pattern sits
// in the path's own user space, so the right part of the picture travels with
// the piece and a board of a thousand pieces is still a thousand elements.

import { piecePath } from 'jigsync-client';

import { attachZoom, clientToBoard } from './board-zoom.js';
import { s } from './dom.js';
import { t } from './i18n/index.js';
import { showPicture } from './pictures.js';

let nextViewId = 1;

/** Moves an absolute M/L/C path (as piecePath makes them) by (dx, dy). */
function offsetPath(d, dx, dy) {
  let isX = true;
  return d
    .split(' ')
    .map((token) => {
      if (/^[A-Za-z]$/.test(token)) {
        isX = true;
        return token;
      }
      const value = Number(token) + (isX ? dx : dy);
      isX = !isX;
      return String(Math.round(value * 1000) / 1000);
    })
    .join(' ');
}

const clamp = (value, lo, hi) => Math.min(hi, Math.max(lo, value));

/**
 * Which entries of `seq` form a longest increasing subsequence (a mask).
 * Used to restack pieces with the fewest DOM moves: moving every node of a
 * big board on each drop stalls the page for a second.
 */
function longestIncreasing(seq) {
  const tails = []; // tails[k]: index in seq of the smallest tail of a run of length k + 1
  const prev = new Array(seq.length).fill(-1);
  for (let i = 0; i < seq.length; i++) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seq[tails[mid]] < seq[i]) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[i] = tails[lo - 1];
    tails[lo] = i;
  }
  const keep = new Array(seq.length).fill(false);
  for (let i = tails.length ? tails[tails.length - 1] : -1; i >= 0; i = prev[i]) keep[i] = true;
  return keep;
}

/**
 * @param {object} options
 * @param {import('jigsync-client').JigsyncClient} options.client
 * @param {number} options.boardId
 * @param {boolean} [options.interactive]  drag pieces (the person may write this board)
 * @param {(code: string) => void} [options.onRefused]  a drag was refused (locked, busy, …)
 * @param {boolean} [options.zoomable]  wheel, pinch and pan gestures, and zoom buttons (`controls`)
 */
export function createBoardView({ client, boardId, interactive = false, onRefused, zoomable = false }) {
  const viewId = nextViewId++;
  const patternId = `picture-${viewId}`;
  const board = () => client.board(boardId);

  const svg = s('svg', {
    class: interactive ? 'board-svg interactive' : 'board-svg',
    testid: 'board',
    dataset: { board: String(boardId) },
    preserveAspectRatio: 'xMidYMid meet',
    role: 'img',
  });
  const layer = s('g', { class: 'pieces' });
  const zoom = zoomable ? attachZoom(svg) : null;
  /** @type {SVGGElement[]} */
  let pieceEls = [];
  let meta = null;
  /** Piece indices in the order they are stacked in the DOM (bottom first). */
  let stacked = [];

  /** Other people's drags in flight: moved piece -> its latest position. */
  const remote = new Map();
  /** This person's drag in progress, if any. */
  let drag = null;

  function build() {
    meta = board()?.meta ?? null;
    svg.replaceChildren();
    pieceEls = [];
    stacked = [];
    if (!meta) return;
    const { rows, cols, pieceWidth: pw, pieceHeight: ph, width, height } = meta;
    // A margin the size of a tab, so pieces at the edges are not cut off.
    const margin = Math.ceil(Math.min(pw, ph) * 0.3);
    const area = { x: -margin, y: -margin, w: width + 2 * margin, h: height + 2 * margin };
    if (zoom) zoom.setArea(area);
    else svg.setAttribute('viewBox', `${area.x} ${area.y} ${area.w} ${area.h}`);
    svg.setAttribute('aria-label', t('board.label', { count: rows * cols }));
    Object.assign(svg.dataset, {
      width: String(width),
      height: String(height),
      pieceWidth: String(pw),
      pieceHeight: String(ph),
    });
    const picture = s('image', { width: cols * pw, height: rows * ph, preserveAspectRatio: 'none' });
    showPicture(picture, 'href', meta.image, (url) => client.uploadUrl(url));
    svg.append(
      s(
        'defs',
        null,
        s('pattern', { id: patternId, patternUnits: 'userSpaceOnUse', width: cols * pw, height: rows * ph }, picture),
      ),
      s('rect', { class: 'board-bg', width, height, rx: Math.min(pw, ph) * 0.15 }),
      layer,
    );
    layer.replaceChildren();
    for (let i = 0; i < rows * cols; i++) {
      const row = Math.floor(i / cols);
      const col = i % cols;
      const path = s('path', {
        class: 'piece-face',
        d: offsetPath(piecePath(meta, row, col), col * pw, row * ph),
        fill: `url(#${patternId})`,
        'vector-effect': 'non-scaling-stroke',
      });
      const el = s('g', { class: 'piece', dataset: { piece: String(i), row: String(row), col: String(col) } }, path);
      pieceEls.push(el);
      stacked.push(i);
      layer.append(el);
    }
  }

  /** Restacks the pieces into `order` (piece indices, bottom first), moving as few nodes as it can. */
  function restack(order) {
    if (order.length === stacked.length && order.every((piece, k) => piece === stacked[k])) return;
    const position = new Map(stacked.map((piece, k) => [piece, k]));
    const keep = longestIncreasing(order.map((piece) => position.get(piece) ?? -1));
    let next = null;
    for (let k = order.length - 1; k >= 0; k--) {
      const el = pieceEls[order[k]];
      if (!keep[k]) layer.insertBefore(el, next);
      next = el;
    }
    stacked = order;
  }

  /** Where each piece is drawn now: committed, or moved by a drag in flight. */
  function render() {
    const b = board();
    if (!b) return;
    if (b.meta && (!meta || b.meta.image !== meta.image || b.meta.seed !== meta.seed)) build();
    if (!meta) return;
    const { cols, pieceWidth: pw, pieceHeight: ph } = meta;
    const pieces = b.pieces();

    const groupShift = new Map();
    for (const [piece, pos] of remote) {
      const at = pieces[piece];
      if (at) groupShift.set(at.g, { dx: pos.x - at.x, dy: pos.y - at.y });
    }

    const order = [];
    for (let i = 0; i < pieceEls.length; i++) {
      const el = pieceEls[i];
      const at = pieces[i];
      if (!at) {
        el.setAttribute('visibility', 'hidden');
        continue;
      }
      el.removeAttribute('visibility');
      let { x, y } = at;
      let lift = 0;
      if (drag && drag.group.has(i)) {
        const start = drag.start.get(i);
        x = start.x + drag.dx;
        y = start.y + drag.dy;
        lift = 2;
      } else if (groupShift.has(at.g)) {
        const shift = groupShift.get(at.g);
        x += shift.dx;
        y += shift.dy;
        lift = 1;
      }
      const col = i % cols;
      const row = Math.floor(i / cols);
      const rotate = at.r ? ` rotate(${at.r} ${col * pw + pw / 2} ${row * ph + ph / 2})` : '';
      el.setAttribute('transform', `translate(${x - col * pw} ${y - row * ph})${rotate}`);
      el.dataset.x = String(Math.round(x * 100) / 100);
      el.dataset.y = String(Math.round(y * 100) / 100);
      el.dataset.group = String(at.g);
      el.classList.toggle('dragging', lift === 2);
      el.classList.toggle('moving', lift === 1);
      const holder = b.locks.get(i);
      const heldByOther = b.locks.has(i) && lift !== 2;
      el.classList.toggle('held', heldByOther);
      if (heldByOther) {
        const color = holder ? client.participantsById.get(holder)?.color : null;
        el.style.setProperty('--holder', color ?? '#64748b');
      }
      order.push([lift, at.z, i]);
    }
    order.sort((a, b2) => a[0] - b2[0] || a[1] - b2[1] || a[2] - b2[2]);
    restack(order.map((o) => o[2]));
    svg.classList.toggle('locked', b.locked);
    svg.classList.toggle('solved', b.done);
  }

  // Many events can land in one frame (a motion batch, an update, releases):
  // draw once per frame. The timer covers pages the browser does not paint.
  let scheduled = false;
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    const run = () => {
      if (!scheduled) return;
      scheduled = false;
      render();
    };
    requestAnimationFrame(run);
    setTimeout(run, 100);
  }

  const offs = [
    client.on('board', (event) => {
      if (event.boardId === boardId) schedule();
    }),
    client.on('motion', ({ moves }) => {
      let mine = false;
      for (const m of moves) {
        if (m.board !== boardId) continue;
        remote.set(m.piece, { x: m.x, y: m.y });
        mine = true;
      }
      if (mine) schedule();
    }),
    client.on('grab', (event) => {
      if (event.board === boardId) schedule();
    }),
    client.on('release', (event) => {
      if (event.board !== boardId) return;
      remote.delete(event.piece);
      schedule();
    }),
    client.on('boards', () => {
      // A lock or reset ends everyone's drags; positions come from the document again.
      if (board()?.locked) remote.clear();
      schedule();
    }),
  ];

  // ---------------------------------------------------------------------------
  // Dragging (pointer events: mouse, touch and pen alike)

  const toBoard = (event) => clientToBoard(svg, event.clientX, event.clientY);

  function refuse(code, el) {
    if (el) {
      el.classList.remove('refused');
      // Restart the shake animation even when it is already running.
      void el.getBoundingClientRect();
      el.classList.add('refused');
      setTimeout(() => el.classList.remove('refused'), 500);
    }
    onRefused?.(code);
  }

  function onPointerDown(event) {
    const el = event.target.closest?.('[data-piece]');
    if (!el || drag) return;
    if (event.pointerType === 'mouse' && event.button !== 0) return;
    const b = board();
    if (!b || !meta) return;
    event.preventDefault();
    const piece = Number(el.dataset.piece);
    if (b.locked) return refuse('locked', el);
    // A grab needs the server's answer: offline, say so at once rather than
    // let the piece follow the pointer and jump back.
    if (client.connectionState !== 'open') return refuse('offline', el);
    const holder = b.locks.get(piece);
    if (b.locks.has(piece) && holder !== client.me?.id) return refuse('busy', el);
    const point = toBoard(event);
    const pieces = b.pieces();
    const at = pieces[piece];
    if (!point || !at) return;

    const group = new Set();
    const start = new Map();
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    pieces.forEach((p, i) => {
      if (!p || p.g !== at.g) return;
      group.add(i);
      start.set(i, { x: p.x, y: p.y });
      minX = Math.min(minX, p.x);
      minY = Math.min(minY, p.y);
      maxX = Math.max(maxX, p.x);
      maxY = Math.max(maxY, p.y);
    });
    // Keep the whole group on the playing area (and visible).
    const bounds = {
      dxMin: -minX,
      dxMax: Math.max(-minX, meta.width - meta.pieceWidth - maxX),
      dyMin: -minY,
      dyMax: Math.max(-minY, meta.height - meta.pieceHeight - maxY),
    };
    const current = { pointerId: event.pointerId, piece, el, group, start, bounds, point, dx: 0, dy: 0 };
    drag = current;
    svg.setPointerCapture(event.pointerId);
    b.grab(piece).catch((err) => {
      if (drag !== current) return;
      drag = null;
      remote.delete(piece);
      refuse(err.code, el);
      schedule();
    });
    schedule();
  }

  function onPointerMove(event) {
    if (!drag || event.pointerId !== drag.pointerId) return;
    const point = toBoard(event);
    const b = board();
    if (!point || !b) return;
    const { bounds, start, piece } = drag;
    drag.dx = clamp(point.x - drag.point.x, bounds.dxMin, bounds.dxMax);
    drag.dy = clamp(point.y - drag.point.y, bounds.dyMin, bounds.dyMax);
    const from = start.get(piece);
    b.move(piece, from.x + drag.dx, from.y + drag.dy);
    schedule();
  }

  function onPointerUp(event) {
    if (!drag || event.pointerId !== drag.pointerId) return;
    const done = drag;
    drag = null;
    const b = board();
    if (!b) return;
    const from = done.start.get(done.piece);
    // Even a drop in place goes out: it releases the lock for everyone else.
    b.drop(done.piece, from.x + done.dx, from.y + done.dy)
      .then((result) => {
        if (!result.snapped) return;
        for (const m of result.moves) pieceEls[m.piece]?.classList.add('snapped');
        setTimeout(() => pieceEls.forEach((el) => el.classList.remove('snapped')), 450);
      })
      .catch((err) => refuse(err.code, done.el))
      .finally(schedule);
    schedule();
  }

  if (interactive) {
    svg.addEventListener('pointerdown', onPointerDown);
    svg.addEventListener('pointermove', onPointerMove);
    svg.addEventListener('pointerup', onPointerUp);
    svg.addEventListener('pointercancel', onPointerUp);
    svg.addEventListener('lostpointercapture', onPointerUp);
  }

  build();
  render();

  return {
    el: svg,
    /** Zoom buttons to place over the board (null unless zoomable). */
    controls: zoom ? zoom.controls() : null,
    boardId,
    refresh: schedule,
    destroy() {
      for (const off of offs) off();
      scheduled = false;
    },
  };
}
