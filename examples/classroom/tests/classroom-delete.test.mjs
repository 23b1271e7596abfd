// Deleting a class from the teacher's app: once the owner has ended the
// class, the end screen offers "Delete class"; a confirmation (which can be
// cancelled) comes first, then the server deletes the class and the screen
// says so. A student of the class is never offered it. Screenshots in English and Korean:
// delete-class-offered-*.png, delete-class-confirm-*.png, class-deleted-*.png.
//
// Run: cd examples/classroom && npx vite build && npm test

import assert from 'node:assert/strict';
import { after, before } from 'node:test';

import { seriousViolations } from './support/axe.mjs';
import { clearScreenshots, launchBrowser, openPerson, poll, screenshot } from './support/browser.mjs';
import { joinClass, printPageProblems, startClass, tid } from './support/classroom-pages.mjs';
import { startServer } from './support/server.mjs';
import { scenario } from './support/steps.mjs';

const STEP = {
  CLASS: '1 a class with one student, ended by its owner',
  OFFER: '2 the end screen offers to delete the class; cancelling keeps it',
  DELETE: '3 confirmed, the server deletes the class and the screen says so',
};
const SCREENSHOTS = [
  'delete-class-offered-en.png', 'delete-class-offered-ko.png',
  'delete-class-confirm-en.png', 'delete-class-confirm-ko.png',
  'class-deleted-en.png', 'class-deleted-ko.png',
];

const s = { server: null, browser: null, people: [], teacher: null, ann: null };
const step = scenario(s, { prefix: 'failure-delete-', timeout: 60_000 });

before(async () => {
  await clearScreenshots((name) => SCREENSHOTS.includes(name) || name.startsWith('failure-delete-'));
  s.server = await startServer();
  s.browser = await launchBrowser();
  s.teacher = await openPerson(s.browser, 'teacher', { locale: 'en-US' });
  s.ann = await openPerson(s.browser, 'ann', { locale: 'en-US' });
  s.people.push(s.teacher, s.ann);
});

after(async () => {
  printPageProblems(s.people);
  await s.browser?.close().catch(() => {});
  await s.server?.stop();
});

async function switchLanguage(page, lang) {
  await page.locator(tid('lang-switch')).selectOption(lang);
  await poll(`<html lang> to become ${lang}`, () => page.evaluate(() => document.documentElement.lang), (v) => v === lang);
}

const dialogTitle = (page) => page.locator(tid('confirm-dialog')).locator('h2').textContent();

step(STEP.CLASS, [], async () => {
  const { code } = await startClass(s.teacher, s.server.url, { teacherName: 'Ms Park', roomName: 'Art 3' });
  await joinClass(s.ann, { code, name: 'Ann', baseUrl: s.server.url });
  const { page } = s.teacher;
  await page.locator(tid('end-class')).click();
  await page.locator(tid('confirm-ok')).click();
  await page.locator(tid('room-closed')).waitFor({ state: 'visible' });
  await s.ann.page.locator(tid('room-closed')).waitFor({ state: 'visible' });
});

step(STEP.OFFER, [STEP.CLASS], async () => {
  const { page } = s.teacher;
  const button = page.locator(tid('delete-class'));
  assert.equal((await button.textContent()).trim(), 'Delete class');
  assert.equal(await s.ann.page.locator(tid('delete-class')).count(), 0, 'only the owner is offered it');
  await screenshot(page, 'delete-class-offered-en.png');
  await button.click();
  assert.equal((await dialogTitle(page)).trim(), 'Delete this class for good?');
  const violations = await seriousViolations(page);
  assert.deepEqual(violations, [], `axe on the confirmation:\n${JSON.stringify(violations, null, 2)}`);
  await screenshot(page, 'delete-class-confirm-en.png');
  await page.locator(tid('confirm-cancel')).click();
  await page.locator(tid('confirm-dialog')).waitFor({ state: 'detached' });
  // Cancelled: the class is still there (closed, so its code joins no one,
  // but it still exists on the server: deleting it below answers 204).
  await page.locator(tid('room-closed')).waitFor({ state: 'visible' });

  await switchLanguage(page, 'ko');
  assert.equal((await page.locator(tid('delete-class')).textContent()).trim(), '수업 삭제');
  await screenshot(page, 'delete-class-offered-ko.png');
  await page.locator(tid('delete-class')).click();
  assert.equal((await dialogTitle(page)).trim(), '이 수업을 완전히 삭제할까요?');
  await screenshot(page, 'delete-class-confirm-ko.png');
  await page.locator(tid('confirm-cancel')).click();
  await page.locator(tid('confirm-dialog')).waitFor({ state: 'detached' });
  await switchLanguage(page, 'en');
});

step(STEP.DELETE, [STEP.OFFER], async () => {
  const { page } = s.teacher;
  const answered = page.waitForResponse((res) => res.request().method() === 'DELETE');
  await page.locator(tid('delete-class')).click();
  await page.locator(tid('confirm-ok')).click();
  assert.equal((await answered).status(), 204);
  const deleted = page.locator(tid('class-deleted'));
  await deleted.waitFor({ state: 'visible' });
  assert.equal((await deleted.locator('h1').textContent()).trim(), 'The class was deleted');
  await screenshot(page, 'class-deleted-en.png');
  await switchLanguage(page, 'ko');
  assert.equal((await deleted.locator('h1').textContent()).trim(), '수업을 삭제했어요');
  await screenshot(page, 'class-deleted-ko.png');
});
