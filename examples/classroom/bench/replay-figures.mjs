// Figures for board replay (issue 15): what history costs in storage, how
// many bytes open a replay, and how long a seek takes in the browser.
//
// A real server (JIGSYNC_BIN, else the debug build) with a fresh SQLite
// data dir, the real dashboard in headless Chromium, and two students as
// client-js connections in this process: one solves a 10×10 board the way a
// class does (every piece dropped a few times, then home), the other drops
// pieces --drops times (10,000). Prints, per board: the bytes SQLite holds
// for it (live log, snapshot, archive and keyframes) against the bytes it
// would hold without history (snapshot and live log), the bytes of the
// history body, the time the page takes to open it (fetch, decoding and
// the replay's own keyframes), and the seek latency in the page
// (p50/p95/max of --seeks random seeks through the Replay panel's
// scrubber: the seek itself, then to the next painted frame).
//
// Figures, not a test. Run from examples/classroom after `npx vite build`:
//
//   node bench/replay-figures.mjs [--drops 10000] [--seeks 60]

import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { connect, joinRoom } from '../../../client-js/src/index.js';
import { startServer as startJigsync } from '../../../client-js/test/support/jigsync-process.mjs';
import { launchBrowser, openPerson, poll } from '../tests/support/browser.mjs';
import { startClass, startPuzzle, thumbnailOf, tid } from '../tests/support/classroom-pages.mjs';
import { DIST_DIR } from '../tests/support/server.mjs';

const { values: args } = parseArgs({
  options: { drops: { type: 'string', default: '10000' }, seeks: { type: 'string', default: '60' } },
});
const DROPS = Number(args.drops);
const SEEKS = Number(args.seeks);

/** Bytes SQLite holds for one board, per table (the data column and the row's keys). */
function storage(dataDir, room, board) {
  const db = path.join(dataDir, 'jigsync.db');
  const sum = (table) =>
    Number(
      execFileSync('sqlite3', [
        db,
        `SELECT COALESCE(SUM(length(data) + length(room_id) + 24), 0) FROM ${table} WHERE room_id = '${room}' AND board_id = ${board}`,
      ])
        .toString()
        .trim(),
    );
  const parts = Object.fromEntries(
    ['board_updates', 'board_snapshots', 'board_history', 'board_keyframes'].map((t) => [t, sum(t)]),
  );
  return { ...parts, withHistory: Object.values(parts).reduce((a, b) => a + b, 0), without: parts.board_updates + parts.board_snapshots };
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

const server = await startJigsync({ args: ['--web-dir', DIST_DIR, '--conn-rate', '100000'] });
const url = server.http;
const browser = await launchBrowser();
try {
  const teacher = await openPerson(browser, 'teacher-bench', { locale: 'en-US' });
  const { code } = await startClass(teacher, url, { teacherName: 'Ms Lee', roomName: 'Bench' });
  const people = [];
  for (const name of ['Solver', 'Dropper']) people.push(await joinRoom(url, { joinCode: code, name }));
  await startPuzzle(teacher, { rows: 10, cols: 10, mode: 'individual' });
  const clients = [];
  for (const p of people) {
    const client = connect(url, { token: p.token, roomId: p.roomId });
    await client.ready;
    clients.push(client);
  }
  const boardOf = (client) => poll('a board', () => client.boards[0], (b) => b?.meta && b.pieces().every(Boolean));
  const [solverBoard, dropperBoard] = [await boardOf(clients[0]), await boardOf(clients[1])];

  // A typical solve: each piece tried twice somewhere, then put home.
  const { pieceWidth: pw, pieceHeight: ph, width, height } = solverBoard.meta;
  let solveDrops = 0;
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 100; i++) {
      await solverBoard.drop(i, ((i * 37 + round * 11) % 90) * (width - pw) / 90, ((i * 53 + round * 7) % 60) * (height - ph) / 60, { tolerance: 0 });
      solveDrops++;
    }
  }
  for (let i = 0; i < 100; i++) {
    await solverBoard.drop(i, (i % 10) * pw, Math.floor(i / 10) * ph);
    solveDrops++;
  }
  for (let k = 0; k < DROPS; k++) {
    await dropperBoard.drop(k % 100, ((k * 37) % 97) * (width - pw) / 97, ((k * 53) % 89) * (height - ph) / 89, { tolerance: 0 });
  }
  await new Promise((resolve) => setTimeout(resolve, 1500)); // the last compactions

  const { page } = teacher;
  for (const [name, board, drops, client] of [['10×10 solve', solverBoard, solveDrops, clients[0]], [`${DROPS} drops`, dropperBoard, DROPS, clients[1]]]) {
    const bytes = storage(server.dataDir, people[0].roomId, board.id);
    // The body a replay opens with: its own board, fetched by its student.
    const replay = (await client.replay(board.id)).bytes;
    console.log(`\n${name} (${drops} drops, progress ${board.progress.toFixed(2)})`);
    console.log(`  storage: ${kib(bytes.withHistory)} with history (live log ${kib(bytes.board_updates)}, snapshot ${kib(bytes.board_snapshots)}, archive ${kib(bytes.board_history)}, keyframes ${kib(bytes.board_keyframes)}); ${kib(bytes.without)} without history`);
    console.log(`  history body (opening a replay): ${kib(replay)}`);

    await page.locator(thumbnailOf(board.id)).click();
    // Opening: the fetch, the decoding and the replay's own keyframes.
    const opening = performance.now();
    await page.locator(tid('replay-open')).click();
    await page.locator(tid('replay-scrubber')).waitFor({ timeout: 60_000 });
    console.log(`  opening the replay (click to scrubber shown): ${(performance.now() - opening).toFixed(0)} ms`);
    const times = await page.evaluate(async (seeks) => {
      const scrubber = document.querySelector('[data-testid="replay-scrubber"]');
      const max = Number(scrubber.max);
      const seek = [];
      const painted = [];
      for (let i = 0; i < seeks; i++) {
        const started = performance.now();
        scrubber.value = String(Math.floor(Math.random() * max));
        scrubber.dispatchEvent(new Event('input'));
        seek.push(performance.now() - started);
        await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
        painted.push(performance.now() - started);
      }
      return { seek, painted };
    }, SEEKS);
    for (const [what, list] of Object.entries(times)) {
      const sorted = list.sort((a, b) => a - b);
      console.log(`  ${what === 'seek' ? 'seek' : 'seek to painted frame'}: p50 ${pct(sorted, 50).toFixed(1)} ms, p95 ${pct(sorted, 95).toFixed(1)} ms, max ${sorted.at(-1).toFixed(1)} ms`);
    }
    await page.locator(tid('replay-close')).click();
    await page.locator(tid('close-focus')).click();
  }

  for (const c of clients) c.close();
} finally {
  await browser.close().catch(() => {});
  await server.stop();
}
