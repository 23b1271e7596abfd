// The classroom app's pages as the browser tests use them (classroom.test.mjs
// against one server, classroom-cluster.test.mjs against a cluster): the DOM
// contract's selectors, starting a class, joining one, starting a puzzle,
// the chat, reading boards until they settle, and what to print when a test
// fails. Every wait is a bounded poll.

import assert from 'node:assert/strict';
import path from 'node:path';

import { poll, readBoard, screenshot } from './browser.mjs';
import { APP_DIR } from './server.mjs';

export const FIXTURES = path.join(APP_DIR, 'tests', 'fixtures');
export const PUZZLE_PNG = path.join(FIXTURES, 'puzzle.png');
export const ANIMATED_GIF = path.join(FIXTURES, 'wave.gif');

export const JOIN_CODE = /^[ABCDEFGHJKMNPQRSTWXYZ23456789]{6}$/;
/** Board units a relayed position may differ from the local one (pixel rounding). */
export const MOTION_TOL = 3;

export const tid = (id) => `[data-testid="${id}"]`;
export const STUDENT_BOARD = tid('student-board');
export const thumbnailOf = (boardId) => `${tid('thumbnail')}[data-board="${boardId}"]`;
export const FOCUSED_BOARD = tid('focused-board');

/**
 * On a failed test or step: each page's console errors, a screenshot of each
 * page (<filePrefix>-<person>.png), and the server's log tail.
 */
export async function reportFailure(t, filePrefix, people, logTail) {
  for (const person of people) {
    if (person.problems.length > 0) {
      t.diagnostic(`${person.name}'s page problems:\n  ${person.problems.join('\n  ')}`);
    }
    try {
      const file = await screenshot(person.page, `${filePrefix}-${person.name}.png`);
      t.diagnostic(`${person.name}'s page at the failure: ${file}`);
    } catch {
      // A page that cannot be photographed must not hide the real error.
    }
  }
  if (logTail) t.diagnostic(`server log tail:\n${logTail()}`);
}

/** Prints what the pages complained about: an error in the console is worth a look even when every check passed. */
export function printPageProblems(people) {
  for (const person of people) {
    if (person.problems.length > 0) {
      console.log(`[${person.name}] page problems:\n  ${person.problems.join('\n  ')}`);
    }
  }
}

/**
 * The teacher starts a class from the landing page at `baseUrl`; resolves
 * with the join code and the share link the dashboard shows.
 */
export async function startClass(person, baseUrl, { teacherName = 'Ms Park', roomName = 'Class 5B' } = {}) {
  const { page } = person;
  await page.goto(`${baseUrl}/`);
  await page.locator(tid('teacher-name')).fill(teacherName);
  await page.locator(tid('room-name')).fill(roomName);
  await page.locator(tid('start-class')).click();

  const code = await poll(
    'the dashboard to show a 6-character join code',
    async () => (await page.locator(tid('room-code')).textContent({ timeout: 1000 }))?.trim(),
    (text) => JOIN_CODE.test(text ?? ''),
  );
  const href = await page.locator(tid('share-link')).getAttribute('href');
  assert.ok(href, 'share-link has no href');
  const shareLink = new URL(href, page.url());
  assert.ok(shareLink.href.includes(code), `share link ${shareLink.href} does not contain the code ${code}`);
  return { code, shareLink: shareLink.href };
}

/**
 * A student joins: through `shareLink` (which must prefill the code), or on
 * the landing page at `baseUrl` typing the code. Resolves once the student's
 * board area is there.
 */
export async function joinClass(person, { code, name, shareLink = null, baseUrl = null }) {
  const { page } = person;
  if (shareLink) {
    await page.goto(shareLink);
    // The share link prefills the code.
    await poll(
      `${person.name}'s join-code input to be prefilled from the share link`,
      () => page.locator(tid('join-code')).inputValue(),
      (value) => value.replace(/[\s-]/g, '').toUpperCase() === code,
    );
  } else {
    await page.goto(`${baseUrl}/`);
    await page.locator(tid('join-code')).fill(code);
  }
  await page.locator(tid('student-name')).fill(name);
  await page.locator(tid('join-class')).click();
  await page.locator(STUDENT_BOARD).waitFor({ state: 'attached' });
}

/** The teacher starts a puzzle of `file` from the dashboard's dialog. */
export async function startPuzzle(person, { file = PUZZLE_PNG, rows, cols, mode }) {
  const { page } = person;
  await page.locator(tid('open-start-puzzle')).click();
  await page.locator(tid('puzzle-image')).setInputFiles(file);
  await page.locator(tid('puzzle-rows')).fill(String(rows));
  await page.locator(tid('puzzle-cols')).fill(String(cols));
  await page.locator(tid('puzzle-mode')).selectOption(mode);
  await page.locator(tid('start-puzzle')).click();
}

/** Text of the chat messages in `page` as [{kind, author, text, seq}]. */
export function readMessages(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="chat-list"] [data-testid="message"]')].map((m) => ({
      kind: m.getAttribute('data-kind'),
      seq: m.getAttribute('data-seq'),
      author: m.querySelector('[data-testid="message-author"]')?.textContent.trim() ?? null,
      text: m.querySelector('[data-testid="message-text"]')?.textContent.trim() ?? null,
    })),
  );
}

export function waitForMessage(person, what, match, opts) {
  return poll(
    `${person.name} to see ${what}`,
    () => readMessages(person.page),
    (messages) => messages.some(match),
    opts,
  ).then((messages) => messages.find(match));
}

export async function sendChat(person, text) {
  const { page } = person;
  await page.locator(tid('chat-input')).fill(text);
  await page.locator(tid('chat-send')).click();
}

/** Waits until the student's board shows `count` pieces with positions. */
export function waitForStudentPieces(person, count) {
  return poll(
    `${person.name}'s board to show ${count} pieces`,
    () => readBoard(person.page, STUDENT_BOARD),
    (board) =>
      board !== null &&
      board.pieces.length === count &&
      board.pieces.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y)) &&
      board.pieceWidth > 0 &&
      board.pieceHeight > 0,
  );
}

/** A point for `piece` to be dragged to: `delta` away, kept inside the playing area. */
export function shifted(board, piece, delta) {
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  const maxX = board.width - board.pieceWidth;
  const maxY = board.height - board.pieceHeight;
  let x = piece.x + delta.x;
  let y = piece.y + delta.y;
  // Bounce off the edge instead of sticking to it, so the piece really moves.
  if (x > maxX || x < 0) x = piece.x - delta.x;
  if (y > maxY || y < 0) y = piece.y - delta.y;
  return { x: Math.round(clamp(x, 5, maxX - 5)), y: Math.round(clamp(y, 5, maxY - 5)) };
}

/**
 * Runs `attempt(piece)` on each piece in turn until one is not covered (the
 * drag helpers throw "cannot be grabbed" / "cannot be touched" for covered
 * pieces): resolves with { piece, result }, or fails naming `what`.
 */
export async function firstReachable(pieces, what, attempt) {
  for (const piece of pieces) {
    try {
      return { piece, result: await attempt(piece) };
    } catch (err) {
      if (!/cannot be (grabbed|touched)/.test(err.message)) throw err;
    }
  }
  assert.fail(`no piece of ${what} could be reached: ${JSON.stringify(pieces)}`);
}

/**
 * Reads a board once it has stopped changing (two reads 150 ms apart agree):
 * a drop is applied in steps (local position, snap, group merge).
 */
export async function readSettled(page, scope) {
  let previous = null;
  return poll(
    `the board in ${scope} to settle`,
    async () => {
      const now = await readBoard(page, scope);
      const same = previous !== null && JSON.stringify(previous) === JSON.stringify(now);
      previous = now;
      return same ? now : null;
    },
    (b) => b !== null,
    { interval: 150, timeout: 5000 },
  );
}

/**
 * Sends chats as fast as the composer allows until the server refuses one
 * (PROTOCOL.md §10: chat budget 2/s, burst 10), then resolves with the texts
 * sent and what the composer holds. Fails after `max` messages.
 */
export async function sendUntilRefused(person, prefix, { max = 30 } = {}) {
  const { page } = person;
  const notice = page.locator(tid('chat-notice'));
  const texts = [];
  const input = page.locator(tid('chat-input'));
  for (let i = 1; i <= max; i++) {
    if (await notice.isVisible()) break;
    const text = `${prefix} ${i}`;
    texts.push(text);
    // Typed, not filled: a refused message put back meanwhile must not be overwritten.
    await input.focus();
    await page.keyboard.insertText(text);
    await page.locator(tid('chat-send')).click();
    // One at a time, each answered (stored or refused) before the next: still
    // far faster than the budget refills, and no refusal races the typing.
    await poll('the chat to be answered', () => page.locator(tid('message-pending')).count(), (n) => n === 0, { interval: 10 });
  }
  await notice.waitFor({ state: 'visible', timeout: 5000 });
  return { texts, composer: await page.locator(tid('chat-input')).inputValue(), notice: (await notice.textContent()).trim() };
}

/** A chat text of `lines` lines as another client could send it, or `chars` characters of words. */
export function longText(chars) {
  const words = 'the quick brown fox jumps over a lazy dog while the class solves its puzzle'.split(' ');
  let out = '';
  for (let i = 0; out.length < chars; i++) out += `${words[i % words.length]} `;
  return out.slice(0, chars);
}
