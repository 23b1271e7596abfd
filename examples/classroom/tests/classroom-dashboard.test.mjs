// The teacher's dashboard with a class of 32 at 1366×768, a Chromebook's
// screen: the grid sorted by name, progress or last activity (a select), and
// the compact density, which must show more than 8 whole boards without
// scrolling. The students join over HTTP only (they get boards all the
// same). Screenshots in English and Korean: dashboard-compact-en.png / -ko.png.
//
// Run: cd examples/classroom && npx vite build && npm test

import assert from 'node:assert/strict';
import { after, before } from 'node:test';

import { joinRoom } from '../../../client-js/src/index.js';
import { seriousViolations } from './support/axe.mjs';
import { clearScreenshots, launchBrowser, openPerson, poll, screenshot } from './support/browser.mjs';
import { printPageProblems, startClass, startPuzzle, tid } from './support/classroom-pages.mjs';
import { startServer } from './support/server.mjs';
import { scenario } from './support/steps.mjs';

const STEP = {
  CLASS: '1 a class of 32 students and a 2x2 puzzle for each',
  SORT: '2 the grid sorted by name, by progress and by last activity',
  COMPACT: '3 compact density: more than 8 whole boards on 1366x768, in English and Korean; axe',
};
const SCREENSHOTS = ['dashboard-compact-en.png', 'dashboard-compact-ko.png', 'dashboard-sorted-en.png'];
const STUDENTS = 32;

const s = { server: null, browser: null, people: [], teacher: null, code: null, names: [] };
const step = scenario(s, { prefix: 'failure-dashboard-', timeout: 60_000 });

before(async () => {
  await clearScreenshots((name) => SCREENSHOTS.includes(name) || name.startsWith('failure-dashboard-'));
  s.server = await startServer();
  s.browser = await launchBrowser();
  s.teacher = await openPerson(s.browser, 'teacher-32', { locale: 'en-US' });
  s.people.push(s.teacher);
});

after(async () => {
  printPageProblems(s.people);
  await s.browser?.close().catch(() => {});
  await s.server?.stop();
});

const thumbNames = (page) => page.locator(`${tid('thumbnail')} ${tid('thumb-name')}`).allTextContents();

/** Thumbnails wholly inside the window, as a teacher sees them without scrolling. */
const wholeThumbs = (page) =>
  page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="thumbnail"]')].filter((el) => {
      const r = el.getBoundingClientRect();
      return r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth;
    }).length,
  );

step(STEP.CLASS, [], async () => {
  ({ code: s.code } = await startClass(s.teacher, s.server.url, { teacherName: 'Ms Lee', roomName: 'Year 6' }));
  // Names out of alphabetical order, so sorting has something to do.
  for (let i = 0; i < STUDENTS; i++) {
    const name = `Student ${String((i * 7) % STUDENTS + 1).padStart(2, '0')}`;
    s.names.push(name);
    await joinRoom(s.server.url, { joinCode: s.code, name });
  }
  await startPuzzle(s.teacher, { rows: 2, cols: 2, mode: 'individual' });
  await poll(`${STUDENTS} thumbnails`, () => s.teacher.page.locator(tid('thumbnail')).count(), (n) => n === STUDENTS, { timeout: 20_000 });
});

step(STEP.SORT, [STEP.CLASS], async () => {
  const { page } = s.teacher;
  const byName = [...s.names].sort((a, b) => a.localeCompare(b, 'en'));
  assert.deepEqual(await thumbNames(page), byName, 'by name by default');
  // Nobody has moved a piece: progress and activity tie everywhere, and name order breaks the ties.
  for (const sort of ['progress', 'activity']) {
    await page.locator(tid('grid-sort')).selectOption(sort);
    assert.deepEqual(await thumbNames(page), byName, `sorted by ${sort}, ties by name`);
  }
  const labels = await page.locator(`${tid('grid-sort')} option`).allTextContents();
  assert.deepEqual(labels, ['By name', 'Progress, lowest first', 'Quietest first']);
  await screenshot(page, 'dashboard-sorted-en.png');
  // Kept in this browser: a reload keeps the chosen order.
  await page.reload();
  await page.locator(tid('thumbnail')).first().waitFor();
  assert.equal(await page.locator(tid('grid-sort')).inputValue(), 'activity');
  await page.locator(tid('grid-sort')).selectOption('name');
});

step(STEP.COMPACT, [STEP.CLASS], async (t) => {
  const { page } = s.teacher;
  const normal = await wholeThumbs(page);
  await page.locator(tid('grid-compact')).click();
  assert.equal(await page.locator(tid('grid-compact')).getAttribute('aria-pressed'), 'true');
  const compact = await poll('the compact grid', () => wholeThumbs(page), (n) => n > 8);
  t.diagnostic(`whole boards on 1366x768: ${normal} normal, ${compact} compact`);
  assert.ok(compact > normal, `compact shows more boards (${compact}) than normal (${normal})`);
  const violations = await seriousViolations(page);
  assert.deepEqual(violations, [], `axe on the compact dashboard:\n${JSON.stringify(violations, null, 2)}`);
  await screenshot(page, 'dashboard-compact-en.png');

  await page.locator(tid('lang-switch')).selectOption('ko');
  await poll('<html lang> ko', () => page.evaluate(() => document.documentElement.lang), (v) => v === 'ko');
  assert.equal((await page.locator(tid('grid-compact')).textContent()).trim(), '촘촘하게 보기');
  assert.equal(await page.locator(tid('grid-compact')).getAttribute('aria-pressed'), 'true', 'the density survives the redraw');
  assert.ok((await wholeThumbs(page)) > 8);
  await screenshot(page, 'dashboard-compact-ko.png');
});
