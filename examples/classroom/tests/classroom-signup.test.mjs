// End-to-end test of "who may create a class" in the classroom app, against
// a real jigsync with `--teacher-signup secret`: the start form asks for the
// signup code (it learns that from /api/config), refuses a missing or wrong
// one with a sentence in the teacher's language, starts the class with the
// right one, and from then on this browser's teacher pass is enough: the
// field is gone and a second class starts without it (same teacher id).
// Screenshots: signup-secret-en.png, signup-secret-ko.png.
//
// Run: cd examples/classroom && npx vite build && node --test tests/classroom-signup.test.mjs

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { clearScreenshots, launchBrowser, openPerson, poll, screenshot } from './support/browser.mjs';
import { JOIN_CODE, printPageProblems, tid } from './support/classroom-pages.mjs';
import { startServer } from './support/server.mjs';

const SECRET = 'blue-harbour-42';
const SCREENSHOTS = ['signup-secret-en.png', 'signup-secret-ko.png'];

let server;
let browser;
let secretDir;
const people = [];

before(async () => {
  await clearScreenshots((name) => SCREENSHOTS.includes(name));
  secretDir = await mkdtemp(path.join(tmpdir(), 'jigsync-signup-'));
  const secretFile = path.join(secretDir, 'signup.secret');
  await writeFile(secretFile, `${SECRET}\n`);
  server = await startServer({ args: ['--teacher-signup', 'secret', '--teacher-signup-secret-file', secretFile] });
  browser = await launchBrowser();
});

after(async () => {
  printPageProblems(people);
  await browser?.close();
  await server?.stop();
  if (secretDir) await rm(secretDir, { recursive: true, force: true });
});

const errorText = (page) => page.locator(tid('start-error')).textContent();

/** Fills the start form; `secret` undefined leaves the code field alone. */
async function submitStart(page, { teacher, room, secret }) {
  await page.locator(tid('teacher-name')).fill(teacher);
  await page.locator(tid('room-name')).fill(room);
  if (secret !== undefined) await page.locator(tid('signup-credential')).fill(secret);
  await page.locator(tid('start-class')).click();
}

async function waitForDashboard(page) {
  return poll(
    'the dashboard to show a join code',
    async () => (await page.locator(tid('room-code')).textContent({ timeout: 1000 }))?.trim(),
    (text) => JOIN_CODE.test(text ?? ''),
  );
}

test('English: the signup code is asked for, checked, and then no longer needed', { timeout: 90_000 }, async () => {
  const teacher = await openPerson(browser, 'Ms Park', { locale: 'en-US' });
  people.push(teacher);
  const { page } = teacher;
  await page.goto(`${server.url}/?lang=en`);
  const field = page.locator(tid('signup-credential'));
  await field.waitFor({ state: 'visible' });
  assert.equal(await page.locator('label[for="signup-credential"]').textContent(), 'Signup code');
  assert.equal(await field.getAttribute('type'), 'password');

  await submitStart(page, { teacher: 'Ms Park', room: 'Class 5B', secret: '' });
  assert.equal(await errorText(page), 'Enter the signup code.');
  await submitStart(page, { teacher: 'Ms Park', room: 'Class 5B', secret: 'blue-harbour' });
  await poll('the wrong-code sentence', () => errorText(page), (text) => text === 'That signup code is not right.');
  await screenshot(page, 'signup-secret-en.png');

  await submitStart(page, { teacher: 'Ms Park', room: 'Class 5B', secret: SECRET });
  await waitForDashboard(page);
  const firstPass = await page.evaluate(() => localStorage.getItem('jigsync.teacherPass'));
  assert.match(firstPass ?? '', /^t1\./);

  // Back on the landing page in the same browser: the pass is enough.
  const second = await teacher.context.newPage();
  await second.goto(`${server.url}/?lang=en`);
  await second.locator(tid('start-class')).waitFor();
  // Give /api/config time to answer: the field must stay away.
  await second.waitForLoadState('networkidle');
  assert.equal(await second.locator(tid('signup-credential')).count(), 0);
  await submitStart(second, { teacher: 'Ms Park', room: 'Class 5C' });
  await waitForDashboard(second);
  await second.close();
});

test('Korean: the form asks for the code and refuses a wrong one in Korean', { timeout: 60_000 }, async () => {
  const teacher = await openPerson(browser, '김민준', { locale: 'ko-KR' });
  people.push(teacher);
  const { page } = teacher;
  await page.goto(`${server.url}/?lang=ko`);
  await page.locator(tid('signup-credential')).waitFor({ state: 'visible' });
  assert.equal(await page.locator('label[for="signup-credential"]').textContent(), '가입 코드');
  await submitStart(page, { teacher: '김민준', room: '5학년 2반', secret: '틀린 코드' });
  await poll('the wrong-code sentence', () => errorText(page), (text) => text === '가입 코드가 맞지 않아요.');
  await screenshot(page, 'signup-secret-ko.png');
  await submitStart(page, { teacher: '김민준', room: '5학년 2반', secret: SECRET });
  await waitForDashboard(page);
});
