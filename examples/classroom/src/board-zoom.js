// Zoom and pan for a board svg, so a big puzzle stays playable on a
// Chromebook or a tablet: the wheel (and a trackpad pinch) zooms around the
// pointer, dragging the empty table pans, two fingers pinch. Pieces keep
// their own drag; this only handles gestures that start off a piece.
//
// It works by changing the svg's viewBox, so everything that maps screen
// points to board units through getScreenCTM keeps working.

import { h } from './dom.js';
import { t } from './i18n/index.js';

const MAX_ZOOM = 8;

/** The board point (viewBox units) under a client point, or null while the svg is not laid out. */
export function clientToBoard(svg, clientX, clientY) {
  const matrix = svg.getScreenCTM();
  return matrix ? new DOMPoint(clientX, clientY).matrixTransform(matrix.inverse()) : null;
}

/**
 * @param {SVGSVGElement} svg
 * @returns {{ setArea(area: {x: number, y: number, w: number, h: number}): void,
 *             zoomBy(factor: number): void, fit(): void, controls(): HTMLElement }}
 */
export function attachZoom(svg) {
  /** The whole playing area, and the part of it in view. */
  let area = null;
  let view = null;
  const listeners = new Set();

  function apply(next) {
    const w = Math.min(area.w, Math.max(area.w / MAX_ZOOM, next.w));
    const hgt = (w / area.w) * area.h;
    view = {
      w,
      h: hgt,
      x: Math.min(area.x + area.w - w, Math.max(area.x, next.x)),
      y: Math.min(area.y + area.h - hgt, Math.max(area.y, next.y)),
    };
    svg.setAttribute('viewBox', `${view.x} ${view.y} ${view.w} ${view.h}`);
    const zoomed = view.w < area.w - 0.5;
    svg.classList.toggle('zoomed', zoomed);
    for (const fn of listeners) fn(area.w / view.w);
  }

  /** Zooms by `factor` (> 1: closer) keeping board point (cx, cy) where it is. */
  function zoomAt(factor, cx, cy) {
    if (!view) return;
    const w = Math.min(area.w, Math.max(area.w / MAX_ZOOM, view.w / factor));
    const k = w / view.w;
    apply({ x: cx - (cx - view.x) * k, y: cy - (cy - view.y) * k, w });
  }

  // -- Gestures on the empty table ------------------------------------------
  /** Pointers down off a piece: id -> {x, y} in client pixels. */
  const pointers = new Map();
  let gesture = null;

  function startGesture() {
    const points = [...pointers.values()];
    const matrix = svg.getScreenCTM();
    if (!matrix || !view) return;
    const mid = points.length === 1 ? points[0] : { x: (points[0].x + points[1].x) / 2, y: (points[0].y + points[1].y) / 2 };
    gesture = {
      view: { ...view },
      mid,
      spread: points.length === 2 ? Math.hypot(points[0].x - points[1].x, points[0].y - points[1].y) : 0,
      scale: matrix.a, // screen pixels per board unit at the start
      anchor: clientToBoard(svg, mid.x, mid.y),
    };
  }

  svg.addEventListener('pointerdown', (event) => {
    if (event.target.closest?.('[data-piece]') || !view) return;
    if (event.pointerType === 'mouse' && event.button !== 0) return;
    if (pointers.size >= 2) return;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    svg.setPointerCapture(event.pointerId);
    svg.classList.add('panning');
    startGesture();
  });
  svg.addEventListener('pointermove', (event) => {
    if (!pointers.has(event.pointerId) || !gesture) return;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    const points = [...pointers.values()];
    const g = gesture;
    if (points.length === 1) {
      const [p] = points;
      apply({ ...g.view, x: g.view.x - (p.x - g.mid.x) / g.scale, y: g.view.y - (p.y - g.mid.y) / g.scale });
    } else if (g.spread > 0 && g.anchor) {
      // Pinch: the width follows the fingers' spread, and the board point that
      // was under their midpoint stays under it. With preserveAspectRatio
      // "meet" the view is letterboxed: `drawn` is its width in pixels.
      const spread = Math.hypot(points[0].x - points[1].x, points[0].y - points[1].y);
      const mid = { x: (points[0].x + points[1].x) / 2, y: (points[0].y + points[1].y) / 2 };
      const w = Math.min(area.w, Math.max(area.w / MAX_ZOOM, (g.view.w * g.spread) / spread));
      const box = svg.getBoundingClientRect();
      const drawn = Math.min(box.width, (box.height * area.w) / area.h);
      const scale = drawn / w;
      const left = box.left + (box.width - drawn) / 2;
      const top = box.top + (box.height - (drawn * area.h) / area.w) / 2;
      apply({ w, x: g.anchor.x - (mid.x - left) / scale, y: g.anchor.y - (mid.y - top) / scale });
    }
  });
  const end = (event) => {
    if (!pointers.delete(event.pointerId)) return;
    if (pointers.size === 0) {
      gesture = null;
      svg.classList.remove('panning');
    } else {
      startGesture();
    }
  };
  svg.addEventListener('pointerup', end);
  svg.addEventListener('pointercancel', end);

  svg.addEventListener(
    'wheel',
    (event) => {
      if (!view) return;
      event.preventDefault();
      const p = clientToBoard(svg, event.clientX, event.clientY);
      // Trackpad pinches arrive as ctrl+wheel with small deltas; mouse wheels as big ones.
      const speed = event.ctrlKey ? 0.01 : 0.0015;
      if (p) zoomAt(Math.exp(-event.deltaY * speed), p.x, p.y);
    },
    { passive: false },
  );

  function centre() {
    return { x: view.x + view.w / 2, y: view.y + view.h / 2 };
  }

  return {
    setArea(next) {
      const sameArea = area && area.w === next.w && area.h === next.h && area.x === next.x && area.y === next.y;
      area = next;
      if (!sameArea) apply({ ...next });
    },
    zoomBy(factor) {
      if (!view) return;
      const c = centre();
      zoomAt(factor, c.x, c.y);
    },
    fit() {
      if (area) apply({ ...area });
    },
    /** Zoom buttons for the board's corner (−, fit, +), kept in step with the zoom. */
    controls() {
      const level = h('button', { class: 'zoom-level', testid: 'zoom-fit', title: t('zoom.fit'), onclick: () => this.fit() }, '100%');
      const el = h(
        'div',
        { class: 'zoom-controls', role: 'group', 'aria-label': t('zoom.label') },
        h('button', { testid: 'zoom-out', title: t('zoom.out'), 'aria-label': t('zoom.out'), onclick: () => this.zoomBy(1 / 1.4) }, '−'),
        level,
        h('button', { testid: 'zoom-in', title: t('zoom.in'), 'aria-label': t('zoom.in'), onclick: () => this.zoomBy(1.4) }, '+'),
      );
      listeners.add((zoom) => {
        level.textContent = `${Math.round(zoom * 100)}%`;
      });
      return el;
    },
  };
}
