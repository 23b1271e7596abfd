// The teacher replays a student's 2×2 solve (issue 15): the student (a
// client-js connection) places the four pieces; on the dashboard the teacher
// focuses the board, opens Replay, and scrubs to the start (the scatter the
// student began from) and to the end (the solved board, as the live board
// shows it). Marks show the drops and the solved moment. Then the class
// ends, and the teacher replays Ann's board from the end-of-class report:
// on the "class ended" screen, and later from "Your classes" on the start
// page, where no live board exists. Screenshots in English and Korean:
// replay-en.png / replay-ko.png, report-replay-en.png / report-replay-ko.png.
//
// Run: cd examples/classroom && npx vite build && npm test

import assert from 'node:assert/strict';
import { after, before } from 'node:test';

import { connect, joinRoom } from '../../../client-js/src/index.js';
import { seriousViolations } from './support/axe.mjs';
import { clearScreenshots, launchBrowser, openPerson, poll, readBoard, screenshot, sleep } from './support/browser.mjs';
import { FOCUSED_BOARD, printPageProblems, startClass, startPuzzle, thumbnailOf, tid } from './support/classroom-pages.mjs';
import { startServer } from './support/server.mjs';
import { scenario } from './support/steps.mjs';

const STEP = {
  SOLVE: '1 a student solves a 2x2 puzzle, drop by drop',
  SCRUB: '2 the teacher scrubs the replay to the start and to the end; marks; screenshots in English and Korean',
  REPORT: '3 after the class ended, Replay on the student\'s row of the report, from the end screen and from "Your classes"',
};
const SCREENSHOTS = ['replay-en.png', 'replay-ko.png', 'report-replay-en.png', 'report-replay-ko.png'];

const s = { server: null, browser: null, people: [], teacher: null, student: null, boardId: null, scatter: null, solved: null };
const step = scenario(s, { prefix: 'failure-replay-', timeout: 60_000 });

before(async () => {
  await clearScreenshots((name) => SCREENSHOTS.includes(name) || name.startsWith('failure-replay-'));
  s.server = await startServer();
  s.browser = await launchBrowser();
  s.teacher = await openPerson(s.browser, 'teacher-replay', { locale: 'en-US' });
  s.people.push(s.teacher);
});

after(async () => {
  printPageProblems(s.people);
  s.student?.close();
  await s.browser?.close().catch(() => {});
  await s.server?.stop();
});

/** Pieces as the page draws them: index -> [x, y]. */
const positions = (board) => board.pieces.map((p) => [p.x, p.y]);
/** A client-js board's pieces, rounded as the page rounds them. */
const rounded = (pieces) => pieces.map((p) => [Math.round(p.x * 100) / 100, Math.round(p.y * 100) / 100]);

async function openReplay(page, boardId) {
  await page.locator(thumbnailOf(boardId)).click();
  await page.locator(tid('replay-open')).click();
  await page.locator(tid('replay-scrubber')).waitFor();
}

/**
 * Scrubs to `end` ('min' or 'max') and returns the replayed board's pieces
 * once they are `expected` (the view draws on the next frame), or as they
 * are after the wait, for the assertion to show.
 */
async function scrubTo(page, end, expected) {
  const scrubber = page.locator(tid('replay-scrubber'));
  await scrubber.fill(await scrubber.getAttribute(end));
  const read = async () => positions(await readBoard(page, tid('replay-board')));
  const same = (p) => JSON.stringify(p) === JSON.stringify(expected);
  return poll(`the replay at its ${end}`, read, same, { timeout: 2000 }).catch(read);
}

step(STEP.SOLVE, [], async () => {
  const { code } = await startClass(s.teacher, s.server.url, { teacherName: 'Ms Lee', roomName: 'Year 4' });
  const ann = await joinRoom(s.server.url, { joinCode: code, name: 'Ann' });
  await startPuzzle(s.teacher, { rows: 2, cols: 2, mode: 'individual' });
  s.student = connect(s.server.url, { token: ann.token, roomId: ann.roomId });
  await s.student.ready;
  const board = await poll('Ann\'s board', () => s.student.boards[0], (b) => b?.meta && b.pieces().every(Boolean));
  s.boardId = board.id;
  s.scatter = rounded(board.pieces());
  const { pieceWidth: pw, pieceHeight: ph } = board.meta;
  for (let i = 0; i < 4; i++) {
    await board.drop(i, 20 + (i % 2) * pw, 20 + Math.floor(i / 2) * ph);
    await sleep(150); // moments apart, so the timeline has a length
  }
  await poll('the board solved', () => board.done, Boolean);
  s.solved = rounded(board.pieces());
  assert.notDeepEqual(s.solved, s.scatter);
});

step(STEP.SCRUB, [STEP.SOLVE], async () => {
  const { page } = s.teacher;
  await poll('Ann\'s thumbnail', () => page.locator(thumbnailOf(s.boardId)).count(), (n) => n === 1);
  await openReplay(page, s.boardId);

  assert.deepEqual(await scrubTo(page, 'min', s.scatter), s.scatter, 'the start is the scatter Ann began from');
  assert.deepEqual(await scrubTo(page, 'max', s.solved), s.solved, 'the end is the solved board');
  const live = await readBoard(page, FOCUSED_BOARD);
  assert.deepEqual(positions(live), s.solved, 'as the live board shows it');
  assert.deepEqual(await scrubTo(page, 'min', s.scatter), s.scatter, 'and back to the start');

  const kinds = await page.locator(tid('replay-mark')).evaluateAll((els) => els.map((el) => el.dataset.kind));
  assert.equal(kinds.filter((k) => k === 'drop').length, 4);
  assert.equal(kinds.filter((k) => k === 'solved').length, 1);
  assert.ok(kinds.includes('join'), 'pieces joined as they snapped');

  // Speeds and play: 16× runs the few seconds to the end.
  await page.locator(tid('replay-speed-16')).click();
  assert.equal(await page.locator(tid('replay-speed-16')).getAttribute('aria-pressed'), 'true');
  await page.locator(tid('replay-play')).click();
  await poll('the replay played to the end', async () => positions(await readBoard(page, tid('replay-board'))), (p) =>
    JSON.stringify(p) === JSON.stringify(s.solved),
  );
  const violations = await seriousViolations(page);
  assert.deepEqual(violations, [], `axe on the replay:\n${JSON.stringify(violations, null, 2)}`);

  // A moment in the middle, for the pictures.
  const scrubber = page.locator(tid('replay-scrubber'));
  await scrubber.fill(String(Math.round(Number(await scrubber.getAttribute('max')) * 0.6)));
  await poll('the toasts gone', () => page.locator(tid('toast')).count(), (n) => n === 0);
  await sleep(400);
  await screenshot(page, 'replay-en.png');

  await page.locator(tid('lang-switch')).selectOption('ko');
  await poll('<html lang> ko', () => page.evaluate(() => document.documentElement.lang), (v) => v === 'ko');
  if ((await page.locator(tid('replay-scrubber')).count()) === 0) await openReplay(page, s.boardId);
  assert.equal((await page.locator(tid('replay-open')).textContent()).trim(), '다시 보기');
  assert.deepEqual(await scrubTo(page, 'max', s.solved), s.solved);
  await scrubber.fill(String(Math.round(Number(await scrubber.getAttribute('max')) * 0.6)));
  await sleep(400);
  await screenshot(page, 'replay-ko.png');
});

/** Opens the report's replay of the student's row and scrubs it to its end. */
async function replayFromReport(page, userId) {
  await page.locator(`${tid('report-row')}[data-user="${userId}"] ${tid('report-replay')}`).click();
  await page.locator(tid('replay-scrubber')).waitFor();
  assert.equal(await page.locator(tid('report-table')).isVisible(), false, 'the replay stands in for the table');
  return scrubTo(page, 'max', s.solved);
}

step(STEP.REPORT, [STEP.SCRUB], async () => {
  const { page } = s.teacher;
  await page.locator(tid('lang-switch')).selectOption('en');
  await poll('<html lang> en', () => page.evaluate(() => document.documentElement.lang), (v) => v === 'en');
  await page.locator(tid('end-class')).click();
  await page.locator(tid('confirm-ok')).click();
  await page.locator(tid('room-closed')).waitFor();
  await page.locator(tid('open-report')).click();
  await page.locator(tid('report-row')).first().waitFor();
  const ann = s.student.me.id;
  assert.deepEqual(await replayFromReport(page, ann), s.solved, 'the end of the replay is the solved board');
  assert.deepEqual(await scrubTo(page, 'min', s.scatter), s.scatter, 'and its start the scatter');
  assert.deepEqual(await scrubTo(page, 'max', s.solved), s.solved);
  const violations = await seriousViolations(page, { include: ['[data-testid="report-dialog"]'] });
  assert.deepEqual(violations, [], `axe on the report's replay:\n${JSON.stringify(violations, null, 2)}`);
  const scrubber = page.locator(tid('replay-scrubber'));
  await scrubber.fill(String(Math.round(Number(await scrubber.getAttribute('max')) * 0.6)));
  await sleep(400);
  await screenshot(page, 'report-replay-en.png');
  // Back to the table, then close.
  await page.locator(tid('replay-close')).click();
  await page.locator(tid('report-table')).waitFor();
  await page.locator(tid('report-close')).click();

  // Later, from "Your classes" on the start page, in Korean.
  await page.goto(`${s.server.url}/`);
  await page.locator(tid('lang-switch')).selectOption('ko');
  await poll('<html lang> ko', () => page.evaluate(() => document.documentElement.lang), (v) => v === 'ko');
  const entry = page.locator(tid('recent-classes')).locator('li').filter({ hasText: 'Year 4' });
  await entry.locator(tid('recent-report')).click();
  await page.locator(tid('report-row')).first().waitFor();
  assert.equal((await page.locator(tid('report-replay')).textContent()).trim(), '다시 보기');
  assert.deepEqual(await replayFromReport(page, ann), s.solved, 'from the start page too');
  assert.equal((await page.locator(tid('replay-close')).textContent()).trim(), '보고서로 돌아가기');
  await scrubber.fill(String(Math.round(Number(await scrubber.getAttribute('max')) * 0.6)));
  await sleep(400);
  await screenshot(page, 'report-replay-ko.png');
});
