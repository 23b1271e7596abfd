// The chat a teacher controls, in the browser: a whisper between two
// students reaches the teacher marked as a whisper (students are told
// teachers can read whispers); the teacher mutes one student, who sees why
// and that it is lifted; chat off for the class closes the students'
// composers while the teacher still writes; whispers off leaves students only
// "Everyone". Then the teacher changes Ben's name to one that is taken: the
// room numbers it, and everyone, history included, shows him under it.
// Ann uses the app in Korean. Screenshots: chat-rules-teacher-en.png,
// chat-rules-teacher-ko.png, chat-rules-muted-ko.png,
// chat-rules-chat-off-en.png, rename-en.png, rename-ko.png.
//
// Run: cd examples/classroom && npx vite build && npm test

import assert from 'node:assert/strict';
import { after, before } from 'node:test';

import { seriousViolations } from './support/axe.mjs';
import { clearScreenshots, launchBrowser, openPerson, poll, screenshot } from './support/browser.mjs';
import { joinClass, printPageProblems, readMessages, sendChat, startClass, tid, waitForMessage } from './support/classroom-pages.mjs';
import { startServer } from './support/server.mjs';
import { scenario } from './support/steps.mjs';

const STEP = {
  CLASS: '1 a teacher and two students, Ann in Korean',
  WHISPER: '2 a whisper between students reaches the teacher, marked; students are told',
  MUTE: '3 the teacher mutes Ann: she sees why, cannot write, and sees it lifted',
  CHAT_OFF: '4 chat off for the class: students cannot write, the teacher can',
  WHISPERS_OFF: '5 whispers off: students can only write to everyone',
  RENAME: '6 the teacher renames Ben to a taken name: numbered, shown everywhere',
};
const SCREENSHOTS = ['chat-rules-teacher-en.png', 'chat-rules-teacher-ko.png', 'chat-rules-muted-ko.png', 'chat-rules-chat-off-en.png', 'rename-en.png', 'rename-ko.png'];

const s = { server: null, browser: null, people: [], teacher: null, ann: null, ben: null };
const step = scenario(s, { prefix: 'failure-chat-rules-', timeout: 60_000 });

before(async () => {
  await clearScreenshots((name) => SCREENSHOTS.includes(name) || name.startsWith('failure-chat-rules-'));
  s.server = await startServer();
  s.browser = await launchBrowser();
  s.teacher = await openPerson(s.browser, 'teacher', { locale: 'en-US' });
  s.ann = await openPerson(s.browser, 'ann', { locale: 'ko-KR' });
  s.ben = await openPerson(s.browser, 'ben', { locale: 'en-US' });
  s.people.push(s.teacher, s.ann, s.ben);
});

after(async () => {
  printPageProblems(s.people);
  await s.browser?.close().catch(() => {});
  await s.server?.stop();
});

const text = (page, id) => page.locator(tid(id)).textContent().then((v) => v?.trim() ?? '');
const personRow = (page, name) => page.locator(tid('participant')).filter({ hasText: name });

step(STEP.CLASS, [], async () => {
  const { code } = await startClass(s.teacher, s.server.url, { teacherName: 'Ms Park' });
  await joinClass(s.ann, { code, name: '김민지', baseUrl: s.server.url });
  await joinClass(s.ben, { code, name: 'Ben', baseUrl: s.server.url });
  await poll('three people on the teacher page', () => s.teacher.page.locator(tid('participant')).count(), (n) => n === 3);
});

step(STEP.WHISPER, [STEP.CLASS], async () => {
  assert.equal(await text(s.ben.page, 'chat-rules-note'), 'Whispers are private from classmates, but your teachers can read them.');
  assert.equal(await text(s.ann.page, 'chat-rules-note'), '귓속말은 친구들에게는 안 보이지만 선생님은 볼 수 있어요.');
  await s.ben.page.locator(tid('chat-to')).selectOption({ label: '김민지' });
  await sendChat(s.ben, 'meet at the corner pieces');
  const seen = await waitForMessage(s.teacher, 'the whisper', (m) => m.kind === 'whisper');
  assert.equal(seen.author, 'Ben');
  const head = await s.teacher.page.locator(`${tid('message')}[data-kind="whisper"] .whisper-to`).textContent();
  assert.equal(head.trim(), '→ 김민지 · whisper', 'the teacher sees whom it went to');
  assert.equal(await text(s.teacher.page, 'chat-rules-note'), 'You see every whisper between students.');
});

step(STEP.MUTE, [STEP.CLASS], async () => {
  const { page } = s.teacher;
  await personRow(page, '김민지').locator(tid('mute')).click();
  await waitForMessage(s.teacher, 'the mute notice', (m) => m.kind === 'system' && m.text === 'Ms Park muted 김민지');
  await poll('Ann is told she is muted', () => text(s.ann.page, 'chat-blocked'), (v) => v.startsWith('선생님이 내 채팅을 막았어요'));
  assert.ok(await s.ann.page.locator(tid('chat-input')).isDisabled(), 'her composer is closed');
  assert.ok(await s.ann.page.locator(tid('chat-send')).isDisabled());
  await waitForMessage(s.ann, 'the mute notice in Korean', (m) => m.text === 'Ms Park이(가) 김민지의 채팅을 막았어요');
  assert.equal(await personRow(page, '김민지').locator(tid('muted-tag')).count(), 1);
  assert.equal(await personRow(page, '김민지').locator(tid('mute')).getAttribute('aria-pressed'), 'true');
  await screenshot(s.ann.page, 'chat-rules-muted-ko.png');
  await screenshot(page, 'chat-rules-teacher-en.png');
  // Ben still writes.
  await sendChat(s.ben, 'I can still write');
  await waitForMessage(s.teacher, "Ben's message", (m) => m.text === 'I can still write');

  await personRow(page, '김민지').locator(tid('mute')).click();
  await waitForMessage(s.ann, 'the unmute notice', (m) => m.text === 'Ms Park이(가) 김민지의 채팅을 풀어 줬어요');
  await poll('her composer opens again', () => s.ann.page.locator(tid('chat-input')).isDisabled(), (v) => v === false);
  assert.equal(await s.ann.page.locator(tid('chat-blocked')).count(), 0);
  await sendChat(s.ann, '고맙습니다');
  await waitForMessage(s.teacher, "Ann's message", (m) => m.text === '고맙습니다');
});

step(STEP.CHAT_OFF, [STEP.CLASS], async () => {
  const { page } = s.teacher;
  await page.locator(tid('chat-off')).click();
  await poll('Ben is told chat is off', () => text(s.ben.page, 'chat-blocked'), (v) => v.startsWith('Your teacher switched chat off'));
  assert.ok(await s.ben.page.locator(tid('chat-input')).isDisabled());
  await waitForMessage(s.ben, 'the chat-off notice', (m) => m.text === 'Ms Park switched chat off for students');
  assert.equal(await text(page, 'chat-rules-note'), 'Chat is off for students. You can still write.');
  await sendChat(s.teacher, 'Eyes on your puzzles, please');
  await waitForMessage(s.ben, "the teacher's message", (m) => m.text === 'Eyes on your puzzles, please');
  await screenshot(s.ben.page, 'chat-rules-chat-off-en.png');
  for (const person of [s.ben, s.teacher]) {
    const violations = await seriousViolations(person.page);
    assert.deepEqual(violations, [], `axe on ${person.name}'s page with chat off:\n${JSON.stringify(violations, null, 2)}`);
  }

  await page.locator(tid('lang-switch')).selectOption('ko');
  await poll('the teacher page in Korean', () => text(page, 'chat-off'), (v) => v === '💬 채팅 다시 켜기');
  await screenshot(page, 'chat-rules-teacher-ko.png');
  await page.locator(tid('lang-switch')).selectOption('en');
  await poll('the teacher page in English', () => text(page, 'chat-off'), (v) => v === '💬 Chat back on');

  await page.locator(tid('chat-off')).click();
  await poll("Ben's composer opens", () => s.ben.page.locator(tid('chat-input')).isDisabled(), (v) => v === false);
});

step(STEP.WHISPERS_OFF, [STEP.CLASS], async () => {
  const { page } = s.teacher;
  await page.locator(tid('whispers-off')).click();
  await poll('Ben is told whispers are off', () => text(s.ben.page, 'chat-rules-note'), (v) => v === 'Your teacher switched whispers off.');
  const options = await s.ben.page.locator(`${tid('chat-to')} option`).allTextContents();
  assert.deepEqual(options, ['Everyone'], 'only the whole class is offered');
  assert.equal(await personRow(s.ben.page, '김민지').locator('button').count(), 0, 'no whisper button');
  const messages = await readMessages(s.ben.page);
  assert.ok(messages.some((m) => m.text === 'Ms Park switched whispers off'));
  await page.locator(tid('whispers-off')).click();
  await poll('whispers back', () => text(s.ben.page, 'chat-rules-note'), (v) => v.startsWith('Whispers are private'));
});

step(STEP.RENAME, [STEP.CLASS], async () => {
  const { page } = s.teacher;
  await personRow(page, 'Ben').locator(tid('rename')).click();
  const input = page.locator(tid('rename-input'));
  await input.fill('   ');
  assert.equal(await text(page, 'rename-problem'), 'Type the new name.');
  await input.fill('김민지');
  await screenshot(page, 'rename-en.png');
  await page.locator(tid('rename-save')).click();
  await page.locator(tid('rename-dialog')).waitFor({ state: 'detached' });
  await poll('the toast names the name the room gave', () => page.locator('.toasts').textContent(), (v) => v.includes('Ben is now called 김민지 2.'));
  // Taken: the room numbers it, for everyone, live.
  await poll("the new name on Ann's page", () => personRow(s.ann.page, '김민지 2').count(), (n) => n === 1);
  await poll("Ben's own header", () => s.ben.page.locator('.me-name').textContent(), (v) => v.trim() === '김민지 2');
  // History shows the same person under the new name.
  const authors = (await readMessages(s.ann.page)).filter((m) => m.kind === 'whisper').map((m) => m.author);
  assert.ok(authors.length > 0 && authors.every((a) => a === '김민지 2'), `whisper authors: ${authors}`);
  assert.equal(await personRow(page, 'Ben').count(), 0);

  await page.locator(tid('lang-switch')).selectOption('ko');
  await personRow(page, '김민지 2').locator(tid('rename')).click();
  await page.locator(tid('rename-input')).fill('');
  await poll('the Korean blank-name message', () => text(page, 'rename-problem'), (v) => v === '새 이름을 입력하세요.');
  await screenshot(page, 'rename-ko.png');
  await page.locator(tid('rename-cancel')).click();
  await page.locator(tid('lang-switch')).selectOption('en');
});
