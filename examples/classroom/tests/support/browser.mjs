// Browser side of the classroom end-to-end test: one real Chromium driven by
// playwright-core, one context per person, bounded polling, and helpers that
// read the board svg (data-* attributes in board units) and drag pieces with
// real pointer input.

import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { APP_DIR } from './server.mjs';

export const SCREENSHOT_DIR = path.join(APP_DIR, 'test-results', 'screenshots');

/** Upper bound for one ordinary wait (an element, a message, a sync). */
export const WAIT_MS = 10_000;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One headless Chromium. `npx playwright install` needs a CDN, so the test
 * drives the system browser (scripts/ensure-chromium.sh installs it).
 */
export async function launchBrowser() {
  const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  try {
    return await chromium.launch({
      executablePath,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  } catch (err) {
    err.message = `could not launch Chromium at ${executablePath} (run scripts/ensure-chromium.sh or set CHROMIUM_PATH): ${err.message}`;
    throw err;
  }
}

/**
 * A person at their own browser: a fresh context (own storage, so tokens in
 * localStorage do not leak between people) with one page, plus the console
 * errors and uncaught exceptions that page produced.
 */
export async function openPerson(browser, name, { viewport = { width: 1366, height: 768 }, ...contextOptions } = {}) {
  const context = await browser.newContext({ viewport, ...contextOptions });
  context.setDefaultTimeout(WAIT_MS);
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.stack || err.message}`));
  page.on('requestfailed', (req) => {
    problems.push(`request failed: ${req.method()} ${req.url()} (${req.failure()?.errorText})`);
  });
  return { name, context, page, problems };
}

/**
 * Polls `probe()` until `accept(value)` holds; resolves with the value.
 * On timeout the error names what was awaited and shows the last value seen,
 * so a failure says what the page actually displayed.
 */
export async function poll(what, probe, accept = Boolean, { timeout = WAIT_MS, interval = 50 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  let lastError;
  for (;;) {
    try {
      last = await probe();
      lastError = undefined;
      if (accept(last)) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const seen = lastError ? `last error: ${lastError.message}` : `last value: ${stringify(last)}`;
      throw new Error(`waited ${timeout} ms for ${what} in vain; ${seen}`);
    }
    await sleep(interval);
  }
}

function stringify(value) {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 1500 ? `${text.slice(0, 1500)}…` : text;
  } catch {
    return String(value);
  }
}

/**
 * Empties the screenshot folder of the files `which(name)` selects (all by
 * default), so no picture of an earlier run remains. Each test file clears
 * its own: the cluster test's pictures are named cluster-*.
 */
export async function clearScreenshots(which = () => true) {
  let names;
  try {
    names = await readdir(SCREENSHOT_DIR);
  } catch (err) {
    if (err.code === 'ENOENT') return;
    throw err;
  }
  await Promise.all(names.filter(which).map((name) => rm(path.join(SCREENSHOT_DIR, name), { recursive: true, force: true })));
}

export async function screenshot(page, file) {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const where = path.join(SCREENSHOT_DIR, file);
  await page.screenshot({ path: where, fullPage: true });
  return where;
}

// ---------------------------------------------------------------------------
// The board svg. `scope` is a CSS selector for the element holding the board
// (student-board, a thumbnail, focused-board); the svg is
// svg[data-testid=board] inside it. Everything is in board units.

/**
 * Reads a board as the page displays it: its geometry and each piece's
 * data-x/data-y/data-group. Null when the scope or its svg is absent.
 */
export function readBoard(page, scope) {
  return page.evaluate((scope) => {
    const root = document.querySelector(scope);
    if (!root) return null;
    const svg = root.matches('svg[data-testid=board]') ? root : root.querySelector('svg[data-testid=board]');
    if (!svg) return null;
    const num = (el, name) => {
      const raw = el.getAttribute(name);
      return raw === null || raw === '' ? null : Number(raw);
    };
    const pieces = [...svg.querySelectorAll('g[data-piece]')]
      .map((g) => ({
        index: num(g, 'data-piece'),
        x: num(g, 'data-x'),
        y: num(g, 'data-y'),
        group: g.getAttribute('data-group'),
      }))
      .sort((a, b) => a.index - b.index);
    return {
      board: svg.getAttribute('data-board'),
      pieceWidth: num(svg, 'data-piece-width'),
      pieceHeight: num(svg, 'data-piece-height'),
      width: num(svg, 'data-width'),
      height: num(svg, 'data-height'),
      pieces,
    };
  }, scope);
}

export function pieceOf(board, index) {
  const piece = board?.pieces.find((p) => p.index === index);
  if (!piece) throw new Error(`piece ${index} is not on the board: ${stringify(board)}`);
  return piece;
}

/** Maps board points to viewport (CSS pixel) coordinates with getScreenCTM. */
export function boardToScreen(page, scope, points) {
  return page.evaluate(
    ({ scope, points }) => {
      const root = document.querySelector(scope);
      const svg = root?.matches('svg[data-testid=board]') ? root : root?.querySelector('svg[data-testid=board]');
      if (!svg) throw new Error(`no board svg in ${scope}`);
      const m = svg.getScreenCTM();
      return points.map(({ x, y }) => ({ x: m.a * x + m.c * y + m.e, y: m.b * x + m.d * y + m.f }));
    },
    { scope, points },
  );
}

/**
 * Finds a point of piece `index` that the pointer would really hit: the cell
 * centre first, then points further out, each checked with elementFromPoint
 * (another piece or an overlay may cover part of it). Scrolls the board into
 * view first so the point lies inside the viewport.
 * Resolves with { ok, board: {x, y}, screen: {x, y}, offset: {x, y}, piece }
 * or { ok: false, hits } listing what covered the tried points.
 */
export function findGrabPoint(page, scope, index) {
  return page.evaluate(
    ({ scope, index }) => {
      const root = document.querySelector(scope);
      const svg = root?.matches('svg[data-testid=board]') ? root : root?.querySelector('svg[data-testid=board]');
      if (!svg) return { ok: false, hits: [`no board svg in ${scope}`] };
      const g = svg.querySelector(`g[data-piece="${index}"]`);
      if (!g) return { ok: false, hits: [`no piece ${index}`] };
      const rect = svg.getBoundingClientRect();
      if (rect.top < 0 || rect.bottom > innerHeight || rect.left < 0 || rect.right > innerWidth) {
        svg.scrollIntoView({ block: 'center', inline: 'center' });
      }
      const px = Number(g.getAttribute('data-x'));
      const py = Number(g.getAttribute('data-y'));
      const pw = Number(svg.getAttribute('data-piece-width'));
      const ph = Number(svg.getAttribute('data-piece-height'));
      const m = svg.getScreenCTM();
      const steps = [0.5, 0.35, 0.65, 0.2, 0.8];
      const candidates = [];
      for (const fx of steps) for (const fy of steps) candidates.push([fx, fy]);
      candidates.sort((a, b) => Math.hypot(a[0] - 0.5, a[1] - 0.5) - Math.hypot(b[0] - 0.5, b[1] - 0.5));
      const hits = [];
      for (const [fx, fy] of candidates) {
        const bx = px + fx * pw;
        const by = py + fy * ph;
        const sx = m.a * bx + m.c * by + m.e;
        const sy = m.b * bx + m.d * by + m.f;
        const el = document.elementFromPoint(sx, sy);
        const hit = el?.closest('[data-piece]');
        if (hit && hit.getAttribute('data-piece') === String(index) && svg.contains(hit)) {
          return {
            ok: true,
            board: { x: bx, y: by },
            screen: { x: sx, y: sy },
            offset: { x: bx - px, y: by - py },
            piece: { x: px, y: py },
          };
        }
        const label = el
          ? `${el.tagName.toLowerCase()}${el.dataset.testid ? `[data-testid=${el.dataset.testid}]` : ''}${hit ? ` in piece ${hit.getAttribute('data-piece')}` : ''}`
          : 'nothing';
        if (!hits.includes(label)) hits.push(label);
      }
      return { ok: false, hits, piece: { x: px, y: py } };
    },
    { scope, index },
  );
}

/**
 * Drags piece `index` so that its top-left lands on board point `to`, with
 * real mouse input: down on a visible point of the piece, several moves
 * (each interpolated in `steps`), then up unless `release` is false.
 * With `requireHit: false` the drag starts at the cell centre even when
 * something covers it (used to try a drag on a locked board).
 * Resolves with { grab, target, lastMoveAt } (lastMoveAt: Date.now() right
 * after the last move was dispatched).
 */
export async function dragPiece(page, scope, index, to, { release = true, requireHit = true, legs = 4, steps = 5 } = {}) {
  let grab = await findGrabPoint(page, scope, index);
  if (!grab.ok) {
    if (requireHit) {
      throw new Error(`piece ${index} in ${scope} cannot be grabbed: every tried point hits ${grab.hits.join(', ')}`);
    }
    const board = await readBoard(page, scope);
    const piece = pieceOf(board, index);
    const centre = { x: piece.x + board.pieceWidth / 2, y: piece.y + board.pieceHeight / 2 };
    const [screen] = await boardToScreen(page, scope, [centre]);
    grab = { ok: false, board: centre, screen, offset: { x: board.pieceWidth / 2, y: board.pieceHeight / 2 }, piece };
  }
  const [target] = await boardToScreen(page, scope, [{ x: to.x + grab.offset.x, y: to.y + grab.offset.y }]);
  const mouse = page.mouse;
  await mouse.move(grab.screen.x, grab.screen.y);
  await mouse.down();
  let lastMoveAt;
  try {
    // A path with a slight bend, so the app sees a real gesture, not one jump.
    for (let leg = 1; leg <= legs; leg++) {
      const f = leg / legs;
      const bend = leg < legs ? Math.sin(f * Math.PI) * 12 : 0;
      await mouse.move(
        grab.screen.x + (target.x - grab.screen.x) * f + bend,
        grab.screen.y + (target.y - grab.screen.y) * f - bend,
        { steps },
      );
    }
    lastMoveAt = Date.now();
  } catch (err) {
    // Never leave the button held for the steps that follow.
    await mouse.up().catch(() => {});
    throw err;
  }
  if (release) await mouse.up();
  return { grab, target, lastMoveAt };
}

/** True when two board positions are within `tol` units on each axis. */
export function near(a, b, tol) {
  return a != null && b != null && Math.abs(a.x - b.x) <= tol && Math.abs(a.y - b.y) <= tol;
}

/**
 * Drags piece `index` to board point `to` with a finger: real touch input
 * dispatched through Chromium's input pipeline (DevTools `Input.dispatchTouchEvent`),
 * which the page sees as pointer events of type "touch". The page's context
 * needs `hasTouch: true`.
 */
export async function touchDragPiece(page, scope, index, to, { moves = 12 } = {}) {
  const grab = await findGrabPoint(page, scope, index);
  if (!grab.ok) throw new Error(`piece ${index} in ${scope} cannot be touched: every tried point hits ${grab.hits.join(', ')}`);
  const [target] = await boardToScreen(page, scope, [{ x: to.x + grab.offset.x, y: to.y + grab.offset.y }]);
  const cdp = await page.context().newCDPSession(page);
  const touch = (type, x, y) =>
    cdp.send('Input.dispatchTouchEvent', { type, touchPoints: type === 'touchEnd' ? [] : [{ x, y, id: 1 }] });
  try {
    await touch('touchStart', grab.screen.x, grab.screen.y);
    for (let i = 1; i <= moves; i++) {
      const f = i / moves;
      await touch('touchMove', grab.screen.x + (target.x - grab.screen.x) * f, grab.screen.y + (target.y - grab.screen.y) * f);
    }
    await touch('touchEnd', target.x, target.y);
  } finally {
    await cdp.detach().catch(() => {});
  }
  return { grab, target };
}
