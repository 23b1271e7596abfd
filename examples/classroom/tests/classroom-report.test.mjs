// The end-of-class report in the browser: three students (two play from
// Node clients: 김민지 solves her 2×2 puzzle in four drops, a student with a
// comma, quotes and a leading "=" in their name drops one piece, Cat none);
// the teacher opens the report, sorts it, downloads the CSV (UTF-8 with BOM,
// quoted cells, the "=" kept as text), reads it in Korean, ends the class
// and opens it again from the "class ended" screen and, later, from
// "Your classes" on the start page. Screenshots:
// report-en.png, report-ko.png, report-ended-en.png, recent-ended-en.png,
// recent-ended-ko.png.
//
// Run: cd examples/classroom && npx vite build && npm test

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before } from 'node:test';

import { connect, joinRoom } from '../../../client-js/src/index.js';
import { seriousViolations } from './support/axe.mjs';
import { clearScreenshots, launchBrowser, openPerson, poll, screenshot } from './support/browser.mjs';
import { printPageProblems, startClass, startPuzzle, tid } from './support/classroom-pages.mjs';
import { startServer } from './support/server.mjs';
import { scenario } from './support/steps.mjs';

const STEP = {
  CLASS: '1 three students, an individual 2x2 puzzle; 김민지 solves hers, the odd name drops one piece',
  REPORT: '2 the teacher reads the report and sorts it',
  CSV: '3 the CSV: BOM, quoting, formulas kept as text, Korean names',
  KOREAN: '4 the report in Korean',
  ENDED: '5 after the class ended, from the end screen and from "Your classes"',
};
const SCREENSHOTS = ['report-en.png', 'report-ko.png', 'report-ended-en.png', 'recent-ended-en.png', 'recent-ended-ko.png'];
const ODD_NAME = '=Lee, "Sunny"';

const s = { server: null, browser: null, people: [], teacher: null, code: null, clients: [] };
const step = scenario(s, { prefix: 'failure-report-', timeout: 60_000 });

before(async () => {
  await clearScreenshots((name) => SCREENSHOTS.includes(name) || name.startsWith('failure-report-'));
  s.server = await startServer();
  s.browser = await launchBrowser();
  s.teacher = await openPerson(s.browser, 'teacher', { locale: 'en-US', acceptDownloads: true });
  s.people.push(s.teacher);
});

after(async () => {
  printPageProblems(s.people);
  for (const client of s.clients) client.close();
  await s.browser?.close().catch(() => {});
  await s.server?.stop();
});

async function student(name) {
  const joined = await joinRoom(s.server.url, { joinCode: s.code, name });
  const client = connect(s.server.url, { token: joined.token });
  s.clients.push(client);
  await client.ready;
  return client;
}

/** The student's own board once the puzzle has reached them. */
const ownBoard = (client) =>
  poll(`${client.me?.name}'s board`, () => client.boards.find((b) => b.info?.members.includes(client.me.id) && b.meta), Boolean);

const rows = (page) =>
  page.locator(`${tid('report-row')}`).evaluateAll((trs) =>
    trs.map((tr) => [...tr.children].map((cell) => cell.firstChild?.textContent.trim() ?? '')),
  );

step(STEP.CLASS, [], async () => {
  ({ code: s.code } = await startClass(s.teacher, s.server.url, { teacherName: 'Ms Park', roomName: '6-1 Maths' }));
  const minji = await student('김민지');
  const odd = await student(ODD_NAME);
  await student('Cat');
  await startPuzzle(s.teacher, { rows: 2, cols: 2, mode: 'individual' });
  const board = await ownBoard(minji);
  const { pieceWidth: pw, pieceHeight: ph } = board.meta;
  for (const [piece, col, row] of [[0, 0, 0], [1, 1, 0], [2, 0, 1], [3, 1, 1]]) {
    await board.drop(piece, 120 + col * pw, 90 + row * ph);
  }
  const other = await ownBoard(odd);
  await other.drop(0, 30, 30);
});

step(STEP.REPORT, [STEP.CLASS], async () => {
  const { page } = s.teacher;
  await page.locator(tid('open-report')).click();
  await page.locator(tid('report-row')).first().waitFor();
  assert.deepEqual(
    (await rows(page)).map((r) => [r[0], r[1], r[3], r[4]]),
    [
      [ODD_NAME, 'No', '0%', '1'],
      ['Cat', 'No', '0%', '0'],
      ['김민지', 'Yes', '100%', '4'],
    ].sort((a, b) => a[0].localeCompare(b[0], 'en')),
    'by name, with solved, progress and drops',
  );
  const minjiRow = (await rows(page)).find((r) => r[0] === '김민지');
  assert.match(minjiRow[2], /^\d+ s$|^\d+ min \d+ s$/, 'a time to solve');
  assert.equal(await text(page, 'report-status'), '1 of 3 students solved their puzzle so far.');
  // Drops, most first; a second click, fewest first.
  await page.locator(tid('report-sort-drops')).click();
  assert.deepEqual((await rows(page)).map((r) => r[0]), ['김민지', ODD_NAME, 'Cat']);
  assert.equal(await page.locator('th[aria-sort="descending"]').count(), 1);
  await page.locator(tid('report-sort-drops')).click();
  assert.deepEqual((await rows(page)).map((r) => r[0]), ['Cat', ODD_NAME, '김민지']);
  const violations = await seriousViolations(page, { include: ['[data-testid="report-dialog"]'] });
  assert.deepEqual(violations, [], `axe on the report:\n${JSON.stringify(violations, null, 2)}`);
  await page.locator(tid('report-sort-drops')).click();
  await screenshot(page, 'report-en.png');
});

step(STEP.CSV, [STEP.REPORT], async () => {
  const { page } = s.teacher;
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator(tid('report-csv')).click()]);
  assert.match(download.suggestedFilename(), /^6-1 Maths \d{4}-\d{2}-\d{2}\.csv$/);
  const bytes = await readFile(await download.path());
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 with a byte-order mark');
  const lines = bytes.toString('utf8').slice(1).split('\r\n');
  assert.equal(lines.at(-1), '', 'CRLF after the last row');
  assert.equal(lines[0], 'Student,Status,Solved,Time to solve (seconds),Progress (%),Drops');
  assert.match(lines[1], /^김민지,in class,Yes,\d+,100,4$/, 'in the order shown: most drops first');
  assert.equal(lines[2], `"'=Lee, ""Sunny""",in class,No,,0,1`, 'quoted, quotes doubled, the formula kept as text');
  assert.equal(lines[3], 'Cat,in class,No,,0,0');
  await page.locator(tid('report-close')).click();
});

step(STEP.KOREAN, [STEP.REPORT], async () => {
  const { page } = s.teacher;
  await page.locator(tid('lang-switch')).selectOption('ko');
  await poll('<html lang> ko', () => page.evaluate(() => document.documentElement.lang), (v) => v === 'ko');
  await page.locator(tid('open-report')).click();
  await page.locator(tid('report-row')).first().waitFor();
  assert.equal(await text(page, 'report-status'), '지금까지 학생 3명 중 1명이 퍼즐을 완성했어요.');
  const header = await page.locator(`${tid('report-table')} thead th`).allTextContents();
  assert.deepEqual(header.map((h) => h.replace(/[▲▼]/g, '').trim()), ['학생', '완성', '걸린 시간', '진행도', '조각 놓은 횟수', '다시 보기']);
  await screenshot(page, 'report-ko.png');
  await page.locator(tid('report-close')).click();
  await page.locator(tid('lang-switch')).selectOption('en');
  await poll('<html lang> en', () => page.evaluate(() => document.documentElement.lang), (v) => v === 'en');
});

step(STEP.ENDED, [STEP.REPORT], async () => {
  const { page } = s.teacher;
  await page.locator(tid('end-class')).click();
  await page.locator(tid('confirm-ok')).click();
  await page.locator(tid('room-closed')).waitFor();
  await page.locator(tid('open-report')).click();
  await page.locator(tid('report-row')).first().waitFor();
  assert.match(await text(page, 'report-status'), /^1 of 3 students solved their puzzle\. The class ended .+\.$/);
  assert.equal((await rows(page)).length, 3);
  await screenshot(page, 'report-ended-en.png');
  await page.locator(tid('report-close')).click();

  // Later, from the start page: the ended class is in "Your classes" with its report, not "Continue".
  await page.goto(`${s.server.url}/`);
  const entry = page.locator(tid('recent-classes')).locator('li').filter({ hasText: '6-1 Maths' });
  assert.equal((await entry.locator(tid('class-ended-tag')).textContent()).trim(), 'ended');
  assert.equal(await entry.locator(tid('continue-class')).count(), 0);
  await screenshot(page, 'recent-ended-en.png');
  await page.locator(tid('lang-switch')).selectOption('ko');
  await poll('the start page in Korean', () => entry.locator(tid('class-ended-tag')).textContent(), (v) => v.trim() === '끝난 수업');
  await screenshot(page, 'recent-ended-ko.png');
  await entry.locator(tid('recent-report')).click();
  await page.locator(tid('report-row')).first().waitFor();
  assert.equal((await rows(page)).length, 3);
});

function text(page, id) {
  return page.locator(tid(id)).textContent().then((v) => v?.trim() ?? '');
}
