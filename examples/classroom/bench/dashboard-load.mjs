// How the teacher's dashboard holds up with a full class dragging at once.
//
// A real server (the release build), the real dashboard in headless
// Chromium, and N students as client-js bots in this process, each dragging
// a random piece of their own board continuously (grab, positions at --hz,
// drop, again). The dashboard is measured twice, for --seconds each: with
// every board as a live thumbnail, then with one board focused full size.
// Prints, per phase: frames per second the page managed, frame intervals
// (p50/p95/p99), long tasks (> 50 ms), and how busy the page's main thread
// was (script, style+layout), from Chromium's own counters.
//
// Figures, not a test: the machine is shared and the bots, the server and
// the browser all run on it. Run with `make bench-dashboard`.
//
//   node bench/dashboard-load.mjs [--students 10,30] [--seconds 8] [--hz 30] [--rows 10 --cols 10]

import { parseArgs } from 'node:util';
import path from 'node:path';

import { connect, joinRoom } from '../../../client-js/src/index.js';
import { launchBrowser, openPerson, sleep } from '../tests/support/browser.mjs';
import { APP_DIR, startServer } from '../tests/support/server.mjs';

const { values: args } = parseArgs({
  options: {
    students: { type: 'string', default: '10,30' },
    seconds: { type: 'string', default: '8' },
    hz: { type: 'string', default: '30' },
    rows: { type: 'string', default: '10' },
    cols: { type: 'string', default: '10' },
  },
});
const SECONDS = Number(args.seconds);
const HZ = Number(args.hz);
const PICTURE = path.join(APP_DIR, 'tests', 'fixtures', 'puzzle.png');
const tid = (id) => `[data-testid="${id}"]`;

/** One student bot: drags pieces of its board until stopped; counts positions sent. */
function startDragging(client, stats) {
  let running = true;
  const loop = async () => {
    while (running) {
      const board = client.boards[0];
      if (!board?.meta) {
        await sleep(100);
        continue;
      }
      const { rows, cols, width, height, pieceWidth, pieceHeight } = board.meta;
      const piece = Math.floor(Math.random() * rows * cols);
      const at = board.piece(piece);
      try {
        await board.grab(piece);
      } catch {
        continue; // held by a group being dropped, say: pick another
      }
      const to = { x: Math.random() * (width - pieceWidth), y: Math.random() * (height - pieceHeight) };
      const steps = Math.max(2, Math.round(HZ * (0.8 + Math.random())));
      for (let k = 1; k <= steps && running; k++) {
        board.move(piece, at.x + ((to.x - at.x) * k) / steps, at.y + ((to.y - at.y) * k) / steps);
        stats.moves++;
        await sleep(1000 / HZ);
      }
      await board.drop(piece, to.x, to.y).then(
        () => stats.drops++,
        () => stats.failedDrops++,
      );
    }
  };
  const done = loop();
  return async () => {
    running = false;
    await done;
  };
}

/** Measures the page for `seconds`: frame intervals, long tasks, main-thread time. */
async function measure(page, cdp, seconds) {
  await page.evaluate(() => {
    window.__bench = { frames: [], longTasks: [] };
    let last = performance.now();
    const tick = (now) => {
      if (!window.__bench) return;
      window.__bench.frames.push(now - last);
      last = now;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__bench?.longTasks.push(entry.duration);
    }).observe({ entryTypes: ['longtask'] });
  });
  const metric = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const before = await metric();
  await sleep(seconds * 1000);
  const after = await metric();
  const { frames, longTasks } = await page.evaluate(() => {
    const out = window.__bench;
    window.__bench = null;
    return out;
  });
  const sorted = frames.slice(1).sort((a, b) => a - b);
  const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
  const busy = (name) => (after[name] - before[name]) / seconds;
  return {
    fps: sorted.length / seconds,
    p50: pct(0.5),
    p95: pct(0.95),
    p99: pct(0.99),
    longTasks: longTasks.length,
    longestTask: Math.max(0, ...longTasks),
    busy: busy('TaskDuration'),
    script: busy('ScriptDuration'),
    styleLayout: busy('RecalcStyleDuration') + busy('LayoutDuration'),
  };
}

async function run(students) {
  const server = await startServer();
  const browser = await launchBrowser();
  const bots = [];
  try {
    const teacher = await openPerson(browser, 'teacher');
    const { page } = teacher;
    await page.goto(server.url);
    await page.locator(tid('teacher-name')).fill('Teacher');
    await page.locator(tid('room-name')).fill(`Load ${students}`);
    await page.locator(tid('start-class')).click();
    const code = (await page.locator(tid('room-code')).textContent()).trim();

    for (let i = 0; i < students; i++) {
      const joined = await joinRoom(server.url, { joinCode: code, name: `Student ${i + 1}` });
      const client = connect(server.url, { token: joined.token, moveHz: HZ, reconnect: false });
      await client.ready;
      bots.push(client);
    }
    await page.locator(tid('open-start-puzzle')).click();
    await page.locator(tid('puzzle-image')).setInputFiles(PICTURE);
    await page.locator(tid('puzzle-rows')).fill(args.rows);
    await page.locator(tid('puzzle-cols')).fill(args.cols);
    await page.locator(tid('start-puzzle')).click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="thumbnail"]').length === n, students);
    await Promise.all(bots.map((c) => new Promise((resolve) => (c.boards[0] ? resolve() : c.once('boards', resolve)))));

    const stats = { moves: 0, drops: 0, failedDrops: 0 };
    const stops = bots.map((c) => startDragging(c, stats));
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    await sleep(1000);
    const grid = await measure(page, cdp, SECONDS);
    await page.locator(tid('thumbnail')).first().click();
    await page.locator(tid('focused-board')).waitFor();
    await sleep(500);
    const focused = await measure(page, cdp, SECONDS);
    await Promise.all(stops.map((stop) => stop()));
    const movesPerSecond = stats.moves / (2 * SECONDS + 1.5);
    return { students, grid, focused, movesPerSecond, problems: teacher.problems };
  } finally {
    for (const c of bots) c.close();
    await browser.close().catch(() => {});
    await server.stop();
  }
}

const rows = [];
for (const students of args.students.split(',').map(Number)) {
  console.error(`dashboard-load: ${students} students dragging ${args.rows}x${args.cols} boards at ${HZ} Hz…`);
  rows.push(await run(students));
}

const f = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
console.log(`\nTeacher dashboard under load (${args.rows}x${args.cols} pieces, ${HZ} Hz drags, ${SECONDS} s per view)\n`);
console.log('| students | view | moves/s sent | frames/s | frame p50 / p95 / p99 ms | long tasks (longest ms) | main thread busy | script | style+layout |');
console.log('|---:|---|---:|---:|---|---|---:|---:|---:|');
for (const r of rows) {
  for (const [view, m] of [['grid', r.grid], ['focused', r.focused]]) {
    console.log(
      `| ${r.students} | ${view} | ${f(r.movesPerSecond, 0)} | ${f(m.fps)} | ${f(m.p50)} / ${f(m.p95)} / ${f(m.p99)} | ${m.longTasks} (${f(m.longestTask, 0)}) | ${f(m.busy * 100, 0)}% | ${f(m.script * 100, 0)}% | ${f(m.styleLayout * 100, 0)}% |`,
    );
  }
  if (r.problems.length) console.log(`\n(page problems with ${r.students} students: ${r.problems.slice(0, 3).join('; ')})`);
}
