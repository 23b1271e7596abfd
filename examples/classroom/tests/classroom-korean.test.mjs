// End-to-end test of the classroom app in Korean and English: a real jigsync
// server serving dist/, one real Chromium, a Korean teacher (김민준, who picks
// Korean with ?lang=ko in an English browser) and a Korean student (박서연,
// whose browser is Korean, so no choice is needed), plus a student with a
// 40-character name and one who joins over HTTP only (최지우).
//
// It checks the language choice (?lang=, the saved choice, the browser's
// languages, <html lang>, the switch in the header), the join code typed with
// the Korean keyboard layout on, system messages worded by the client in the
// reader's language with the right particles, the name limits, the chat
// panel with a long name, the teacher's "class ended" screen, and an axe-core
// scan of the landing page, the student page and the dashboard. It saves a
// screenshot of each screen in both languages (…-ko.png / …-en.png).
//
// Run: cd examples/classroom && npx vite build && npm test

import assert from 'node:assert/strict';
import { after, before } from 'node:test';

import { joinRoom } from '../../../client-js/src/index.js';
import { seriousViolations } from './support/axe.mjs';
import { clearScreenshots, launchBrowser, openPerson, poll, screenshot } from './support/browser.mjs';
import {
  JOIN_CODE,
  STUDENT_BOARD,
  printPageProblems,
  readMessages,
  longText,
  sendChat,
  sendUntilRefused,
  startPuzzle,
  tid,
  waitForMessage,
  waitForStudentPieces,
} from './support/classroom-pages.mjs';
import { startServer } from './support/server.mjs';
import { scenario } from './support/steps.mjs';

const STEP = {
  LANDING: '1 the landing page in English and Korean: ?lang=, <html lang>, names, keyboard, axe',
  START: '2 김민준 starts a class in Korean',
  JOIN: '3 박서연 (a Korean browser) joins typing the code with the Korean keyboard layout',
  SECOND_TAB: '3b 박서연 opens the app in a second tab: "continue as" in Korean, the same person',
  CHAT_LIMITS: '3c the chat in Korean: a long message collapsed (더 보기), the counter over the limit, the rate-limit notice',
  LONG: '4 a student with a 40-character name: the chat panel keeps the select and times inside',
  LOBBY: '4b the projector before a puzzle in Korean: the code, who has joined, live, with a count',
  KICK: '5 최지우 joins and 김민준 removes her: confirmation and system messages with the right particles',
  PUZZLE: '6 a puzzle in Korean: dashboard, focused board, projector, student page; axe scans',
  SWITCH: '7 the language switch: English and back, saved across a reload, messages re-worded',
  END: "8 김민준 ends the class: the teacher's screen is worded for a teacher",
};

/** Every picture this test saves; cleared before it runs. */
const SCREENSHOTS = [
  'landing-en.png',
  'landing-ko.png',
  'teacher-dashboard-empty-ko.png',
  'student-waiting-ko.png',
  'landing-continue-ko.png',
  'chat-long-ko.png',
  'chat-limits-ko.png',
  'chat-long-name-en.png',
  'projector-lobby-ko.png',
  'confirm-remove-ko.png',
  'start-puzzle-ko.png',
  'start-puzzle-en.png',
  'teacher-dashboard-ko.png',
  'teacher-focused-ko.png',
  'projector-ko.png',
  'projector-en.png',
  'student-ko.png',
  'student-tablet-ko.png',
  'class-ended-teacher-ko.png',
  'class-ended-teacher-en.png',
  'class-ended-student-ko.png',
];

const TEACHER = '김민준';
const STUDENT = '박서연';
const KICKED = '최지우';
/** Exactly the server's limit, 40 characters, with no space to break at. */
const LONG_NAME = 'Maximiliana-Wolfeschlegelsteinhausenberg';

const s = { server: null, browser: null, people: [], teacher: null, student: null, long: null, code: null };
const step = scenario(s, { prefix: 'failure-ko-', timeout: 60_000 });

before(async () => {
  await clearScreenshots((name) => SCREENSHOTS.includes(name) || name.startsWith('failure-ko-'));
  assert.equal([...LONG_NAME].length, 40);
  s.server = await startServer();
  s.browser = await launchBrowser();
  // The teacher's browser is English: Korean comes from ?lang=ko.
  s.teacher = await openPerson(s.browser, 'teacher-ko', { locale: 'en-US' });
  // The student's browser is Korean: no choice needed.
  s.student = await openPerson(s.browser, 'student-ko', { locale: 'ko-KR' });
  s.people.push(s.teacher, s.student);
});

after(async () => {
  printPageProblems(s.people);
  await s.browser?.close().catch(() => {});
  await s.server?.stop();
});

// ---------------------------------------------------------------------------
// Helpers

const htmlLang = (page) => page.evaluate(() => document.documentElement.lang);
const h1Text = (page) => page.evaluate(() => [...document.querySelectorAll('h1')].map((h) => h.textContent.trim()));

async function assertNoSeriousViolations(page, what) {
  const violations = await seriousViolations(page);
  assert.deepEqual(violations, [], `axe: serious or critical violations on ${what}:\n${JSON.stringify(violations, null, 2)}`);
}

/** Switches the page's language with the switch in its header. */
async function switchLanguage(page, lang) {
  await page.locator(tid('lang-switch')).selectOption(lang);
  await poll(`<html lang> to become ${lang}`, () => htmlLang(page), (v) => v === lang);
}

/**
 * What a person with the Korean layout on types for `code`: each letter key
 * gives a jamo (2-beolsik, unshifted: they do not hold shift), and the IME
 * joins a consonant and the vowel after it into one syllable, with a final
 * consonant when the next key is a consonant not followed by a vowel.
 */
function typedWithKoreanLayout(code) {
  const jamoOf = {
    q: 'ㅂ', w: 'ㅈ', e: 'ㄷ', r: 'ㄱ', t: 'ㅅ', y: 'ㅛ', u: 'ㅕ', i: 'ㅑ', o: 'ㅐ', p: 'ㅔ',
    a: 'ㅁ', s: 'ㄴ', d: 'ㅇ', f: 'ㄹ', g: 'ㅎ', h: 'ㅗ', j: 'ㅓ', k: 'ㅏ', l: 'ㅣ',
    z: 'ㅋ', x: 'ㅌ', c: 'ㅊ', v: 'ㅍ', b: 'ㅠ', n: 'ㅜ', m: 'ㅡ',
  };
  const initials = 'ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ';
  const vowels = 'ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ';
  const finals = ' ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ';
  const keys = [...code.toLowerCase()].map((c) => jamoOf[c] ?? c);
  const isVowel = (j) => j !== undefined && vowels.includes(j);
  const isInitial = (j) => j !== undefined && initials.includes(j);
  let out = '';
  for (let i = 0; i < keys.length; i++) {
    if (isInitial(keys[i]) && isVowel(keys[i + 1])) {
      let final = 0;
      const next = keys[i + 2];
      if (finals.indexOf(next) > 0 && !isVowel(keys[i + 3])) final = finals.indexOf(next);
      out += String.fromCodePoint(0xac00 + (initials.indexOf(keys[i]) * 21 + vowels.indexOf(keys[i + 1])) * 28 + final);
      i += final ? 2 : 1;
    } else {
      out += keys[i];
    }
  }
  return out;
}

/** Texts of the system messages a page shows. */
async function systemTexts(page) {
  return (await readMessages(page)).filter((m) => m.kind === 'system').map((m) => m.text);
}

// ---------------------------------------------------------------------------
// The scenario

step(STEP.LANDING, [], async () => {
  const { page } = s.teacher;
  await page.goto(`${s.server.url}/?lang=en`);
  assert.equal(await htmlLang(page), 'en');
  assert.deepEqual(await h1Text(page), ['Puzzle it out, together.']);
  await assertNoSeriousViolations(page, 'the landing page (English)');
  await screenshot(page, 'landing-en.png');

  // ?lang=ko wins over the browser's English.
  await page.goto(`${s.server.url}/?lang=ko`);
  assert.equal(await htmlLang(page), 'ko');
  assert.deepEqual(await h1Text(page), ['함께 맞추는 퍼즐 수업']);
  assert.equal(await page.title(), 'Jigsync · 함께 푸는 교실 퍼즐');
  assert.equal(await page.locator(tid('join-class')).textContent(), '참여하기');
  await assertNoSeriousViolations(page, 'the landing page (Korean)');

  // Names: blank, and one over the server's 40 characters, get a precise sentence.
  await page.locator(tid('start-class')).click();
  await poll('the blank-name message', () => page.locator(tid('start-error')).textContent(), (v) => v === '이름을 입력하세요.');
  await page.locator(tid('teacher-name')).fill(`${LONG_NAME}x`);
  await page.locator(tid('room-name')).fill('5학년 2반');
  await page.locator(tid('start-class')).click();
  await poll(
    'the too-long-name message',
    () => page.locator(tid('start-error')).textContent(),
    (v) => v === '이름은 40자까지 쓸 수 있어요. 지금은 41자예요.',
  );
  await screenshot(page, 'landing-ko.png');

  // Keyboard: Tab visits the language switch, then each field and button of
  // both forms in reading order, and every stop is a visible, named control.
  await page.goto(`${s.server.url}/?lang=ko`);
  // From the first control of the page, the logo link.
  await page.locator('a.brand').focus();
  const stops = [];
  for (let i = 0; i < 7; i++) {
    await page.keyboard.press('Tab');
    stops.push(
      await page.evaluate(() => {
        const el = document.activeElement;
        const rect = el.getBoundingClientRect();
        return {
          id: el.dataset.testid || el.id || el.tagName,
          visible: rect.width > 0 && rect.height > 0,
          named: Boolean(el.labels?.[0]?.textContent.trim() || el.getAttribute('aria-label') || el.textContent.trim()),
        };
      }),
    );
  }
  const order = stops.map((stop) => stop.id);
  const expected = ['lang-switch', 'join-code', 'student-name', 'join-class', 'teacher-name', 'room-name', 'start-class'];
  assert.deepEqual(
    order,
    expected,
    `the landing page's tab order: ${JSON.stringify(order)}`,
  );
  assert.ok(stops.every((stop) => stop.visible && stop.named), `every tab stop is visible and named: ${JSON.stringify(stops)}`);
});

step(STEP.START, [STEP.LANDING], async () => {
  const { page } = s.teacher;
  await page.goto(`${s.server.url}/?lang=ko`);
  await page.locator(tid('teacher-name')).fill(TEACHER);
  await page.locator(tid('room-name')).fill('5학년 2반');
  await page.locator(tid('start-class')).click();
  s.code = await poll(
    'the dashboard to show a 6-character join code',
    async () => (await page.locator(tid('room-code')).textContent({ timeout: 1000 }))?.trim(),
    (text) => JOIN_CODE.test(text ?? ''),
  );
  assert.equal(await htmlLang(page), 'ko');
  await poll('the class name in the heading', () => h1Text(page), (v) => v.length === 1 && v[0] === '5학년 2반');
  assert.equal((await page.locator(tid('open-start-puzzle')).textContent()).trim(), '🧩 퍼즐 시작하기');
  // The dashboard is drawn before the welcome arrives: wait for it.
  await poll('the connection state to read 연결됨', () => page.locator(tid('connection-state')).textContent(), (v) => v === '연결됨');
  // The address keeps ?lang=, so a reload stays in Korean.
  assert.match(page.url(), /[?&]lang=ko\b/);
  await screenshot(page, 'teacher-dashboard-empty-ko.png');
});

step(STEP.JOIN, [STEP.START], async (t) => {
  const { page } = s.student;
  await page.goto(`${s.server.url}/`);
  assert.equal(await htmlLang(page), 'ko', "a Korean browser gets Korean without choosing");
  const typed = typedWithKoreanLayout(s.code);
  t.diagnostic(`code ${s.code} typed with the Korean layout: ${typed}`);
  const field = page.locator(tid('join-code'));
  await field.click();
  // One input event per character, as an IME commits them.
  for (const char of typed) await page.keyboard.insertText(char);
  assert.equal(await field.inputValue(), s.code, `the field shows the code for "${typed}"`);
  // And a syllable the IME composed, alone, is read back too (뮤 = ㅁ ㅠ = A B).
  await field.fill('');
  await page.keyboard.insertText('뮤');
  assert.equal(await field.inputValue(), 'AB');
  await field.fill('');
  for (const char of typed) await page.keyboard.insertText(char);

  await page.locator(tid('student-name')).fill(STUDENT);
  await page.locator(tid('join-class')).click();
  await page.locator(STUDENT_BOARD).waitFor({ state: 'attached' });
  await page.locator(tid('waiting')).getByText('선생님을 기다리는 중').waitFor();
  // The heading says "교실" until the welcome names the class.
  await poll('the class name in the heading', () => h1Text(page), (v) => v.length === 1 && v[0] === '5학년 2반');

  // 박서연 ends in a final consonant (연): 이, not 가.
  for (const person of [s.teacher, s.student]) {
    await waitForMessage(person, 'the Korean join message', (m) => m.kind === 'system' && m.text === `${STUDENT}이 들어왔어요`);
  }
  await screenshot(page, 'student-waiting-ko.png');
});

step(STEP.SECOND_TAB, [STEP.JOIN], async () => {
  const page = await s.student.context.newPage();
  try {
    await page.goto(`${s.server.url}/`);
    const card = page.locator(tid('continue-card'));
    await card.waitFor({ state: 'visible' });
    // 박서연 ends in ㄴ: 으로 and 이.
    assert.equal((await page.locator(tid('continue-as')).textContent()).trim(), `${STUDENT}으로 계속하기`);
    assert.equal((await page.locator(tid('not-me')).textContent()).trim(), `${STUDENT}이 아닌가요? 다른 사람으로 참여하기`);
    await assertNoSeriousViolations(page, 'the landing page with "continue as" (Korean)');
    await screenshot(page, 'landing-continue-ko.png');
    await page.locator(tid('continue-as')).click();
    await page.locator(tid('waiting')).waitFor();
    assert.equal((await page.locator('.me-name').textContent()).trim(), STUDENT);
  } finally {
    await page.close();
  }
});

step(STEP.CHAT_LIMITS, [STEP.JOIN], async () => {
  const long = `긴 메시지: ${longText(600)}`;
  await sendChat(s.teacher, long);
  const { page } = s.student;
  const item = page.locator(tid('message')).filter({ hasText: '긴 메시지' }).last();
  await item.waitFor();
  assert.equal((await item.locator(tid('show-more')).textContent()).trim(), '더 보기');
  const input = page.locator(tid('chat-input'));
  await input.fill(longText(2003));
  assert.equal((await page.locator(tid('chat-count')).textContent()).trim(), '3자가 넘어요 (최대 2000자)');
  await item.scrollIntoViewIfNeeded();
  await screenshot(page, 'chat-long-ko.png');
  await input.fill('');
  const { composer, notice } = await sendUntilRefused(s.student, '빨리');
  assert.match(composer, /빨리 \d+/);
  assert.match(notice, /입력창에 그대로/);
  await screenshot(page, 'chat-limits-ko.png');
  await input.fill('');
});

step(STEP.LONG, [STEP.JOIN], async () => {
  s.long = await openPerson(s.browser, 'long-name', { locale: 'en-US' });
  s.people.push(s.long);
  const { page } = s.long;
  await page.goto(`${s.server.url}/?code=${s.code}`);
  await page.locator(tid('student-name')).fill(LONG_NAME);
  await page.locator(tid('join-class')).click();
  await page.locator(STUDENT_BOARD).waitFor({ state: 'attached' });
  await sendChat(s.long, 'hello everyone');
  await waitForMessage(s.teacher, 'the long-named chat', (m) => m.kind === 'chat' && m.text === 'hello everyone');
  // The long name is also in the Send-to list of everyone else.
  await page.locator(tid('chat-to')).selectOption({ label: TEACHER });

  for (const person of [s.teacher, s.long]) {
    const overflow = await person.page.evaluate(() => {
      const panel = document.querySelector('.chat-panel').getBoundingClientRect();
      const inside = (el) => {
        const r = el.getBoundingClientRect();
        return r.left >= panel.left - 0.5 && r.right <= panel.right + 0.5;
      };
      const out = [];
      const select = document.querySelector('[data-testid="chat-to"]');
      if (!inside(select)) out.push(`select ${select.getBoundingClientRect().right} > ${panel.right}`);
      for (const el of document.querySelectorAll('.chat-panel time, .chat-panel .author')) {
        if (!inside(el)) out.push(`${el.className || el.tagName}: ${el.textContent}`);
      }
      return out;
    });
    assert.deepEqual(overflow, [], `${person.name}: chat parts outside the chat panel`);
  }
  await screenshot(page, 'chat-long-name-en.png');
});

step(STEP.LOBBY, [STEP.JOIN], async () => {
  const { page } = s.teacher;
  await page.locator(tid('open-projector')).click();
  const lobby = page.locator(tid('projector-lobby'));
  await lobby.waitFor({ state: 'visible' });
  const before = await lobby.locator(tid('lobby-name')).allTextContents();
  assert.ok(before.includes(STUDENT), `the lobby lists ${STUDENT}: ${JSON.stringify(before)}`);
  // Live: a student who joins now appears at once, and the count follows.
  const late = '이도윤';
  await joinRoom(s.server.url, { joinCode: s.code, name: late });
  await lobby.locator(tid('lobby-name')).filter({ hasText: late }).waitFor();
  assert.equal((await page.locator(tid('lobby-count')).textContent()).trim(), `학생 ${before.length + 1}명이 들어왔어요`);
  await screenshot(page, 'projector-lobby-ko.png');
  await page.locator(tid('close-projector')).click();
});

step(STEP.KICK, [STEP.JOIN], async () => {
  const { page } = s.teacher;
  // She joins over HTTP only (never opens the room), which makes her a member all the same.
  const joined = await joinRoom(s.server.url, { joinCode: s.code, name: KICKED });
  // 최지우 ends in a vowel (우): 가 and 를.
  await waitForMessage(s.teacher, 'the Korean join message of 최지우', (m) => m.kind === 'system' && m.text === `${KICKED}가 들어왔어요`);
  const row = page.locator(`${tid('participant')}[data-user="${joined.userId}"]`);
  await row.locator(tid('kick')).click();
  const dialog = page.locator(tid('confirm-dialog'));
  assert.equal((await dialog.locator('h2').textContent()).trim(), `${KICKED}를 내보낼까요?`);
  await screenshot(page, 'confirm-remove-ko.png');
  await page.locator(tid('confirm-ok')).click();
  for (const person of [s.teacher, s.student]) {
    await waitForMessage(person, 'the Korean removal message', (m) => m.kind === 'system' && m.text === `${TEACHER}이 ${KICKED}를 내보냈어요`);
  }
  await row.waitFor({ state: 'detached' });
});

step(STEP.PUZZLE, [STEP.JOIN], async () => {
  const { page } = s.teacher;
  await page.locator(tid('open-start-puzzle')).click();
  await page.locator(tid('start-puzzle-dialog')).waitFor({ state: 'visible' });
  await screenshot(page, 'start-puzzle-ko.png');
  await page.locator(tid('start-puzzle-dialog')).getByRole('button', { name: '취소' }).click();
  await startPuzzle(s.teacher, { rows: 2, cols: 2, mode: 'individual' });
  await waitForStudentPieces(s.student, 4);

  await sendChat(s.student, '안녕하세요, 선생님!');
  await waitForMessage(s.teacher, "박서연's chat", (m) => m.kind === 'chat' && m.text === '안녕하세요, 선생님!' && m.author === STUDENT);

  // The thumbnail's accessible name is what it shows: the name and the percentage.
  const thumb = page.locator(tid('thumbnail')).filter({ hasText: STUDENT });
  await thumb.waitFor();
  const label = await thumb.evaluate((el) =>
    el
      .getAttribute('aria-labelledby')
      .split(' ')
      .map((id) => document.getElementById(id)?.textContent.trim())
      .filter(Boolean)
      .join(' '),
  );
  assert.match(label, new RegExp(`^${STUDENT} \\d+%`), `the thumbnail's accessible name: ${label}`);
  assert.equal(await thumb.locator(tid('online-dot')).getAttribute('aria-label'), '접속 중');
  assert.match(await page.locator('.dashboard-toolbar .summary').textContent(), /^\d+개 중 \d+개 완성$/);

  await assertNoSeriousViolations(page, "the teacher's dashboard (Korean)");
  await screenshot(page, 'teacher-dashboard-ko.png');
  await assertNoSeriousViolations(s.student.page, 'the student page (Korean)');
  await screenshot(s.student.page, 'student-ko.png');

  await thumb.click();
  await page.locator(tid('focused-board')).waitFor({ state: 'visible' });
  assert.equal((await page.locator(tid('lock-board')).textContent()).trim(), '⏸ 멈추기');
  await screenshot(page, 'teacher-focused-ko.png');
  await page.locator(tid('close-focus')).click();

  await page.locator(tid('open-projector')).click();
  await page.locator(tid('projector')).waitFor({ state: 'visible' });
  await poll('the Korean projector title', () => page.locator('.projector-title').textContent(), (v) => /^퍼즐 \d+개 중 \d+개 완성$/.test(v ?? ''));
  await screenshot(page, 'projector-ko.png');
  await page.locator(tid('close-projector')).click();

  // The same student page on a tablet, in Korean.
  await s.student.page.setViewportSize({ width: 820, height: 1180 });
  await screenshot(s.student.page, 'student-tablet-ko.png');
  await s.student.page.setViewportSize({ width: 1366, height: 768 });
});

step(STEP.SWITCH, [STEP.JOIN], async () => {
  const { page } = s.student;
  const before = await readMessages(page);
  await switchLanguage(page, 'en');
  // Redrawn, not reconnected: the same messages, now worded in English.
  await page.locator(tid('connection-state')).getByText('Live').waitFor();
  const texts = await systemTexts(page);
  assert.ok(texts.includes(`${STUDENT} joined`), `system messages in English: ${JSON.stringify(texts)}`);
  if (step.passed.has(STEP.KICK)) assert.ok(texts.includes(`${KICKED} was removed by ${TEACHER}`), JSON.stringify(texts));
  assert.equal((await readMessages(page)).length, before.length, 'the redraw kept every message');
  await assertNoSeriousViolations(page, 'the student page (English)');

  // The choice is saved: a reload in a Korean browser stays English.
  assert.equal(await page.evaluate(() => localStorage.getItem('jigsync.lang')), 'en');
  await page.reload();
  await page.locator(STUDENT_BOARD).waitFor({ state: 'attached' });
  assert.equal(await htmlLang(page), 'en');
  await waitForMessage(s.student, 'the join message in English after the reload', (m) => m.kind === 'system' && m.text === `${STUDENT} joined`);
  await switchLanguage(page, 'ko');
  await waitForMessage(s.student, 'the join message in Korean again', (m) => m.kind === 'system' && m.text === `${STUDENT}이 들어왔어요`);

  // The teacher, who chose with ?lang=: the address follows the switch.
  const teacher = s.teacher.page;
  await switchLanguage(teacher, 'en');
  assert.match(teacher.url(), /[?&]lang=en\b/);
  assert.equal((await teacher.locator(tid('open-start-puzzle')).textContent()).trim(), '🧩 Start a puzzle');
  await assertNoSeriousViolations(teacher, "the teacher's dashboard (English)");
  await teacher.locator(tid('open-start-puzzle')).click();
  await screenshot(teacher, 'start-puzzle-en.png');
  await teacher.locator(tid('start-puzzle-dialog')).getByRole('button', { name: 'Cancel' }).click();
  await teacher.locator(tid('open-projector')).click();
  await teacher.locator(tid('projector')).waitFor({ state: 'visible' });
  await screenshot(teacher, 'projector-en.png');
  await teacher.locator(tid('close-projector')).click();
  await switchLanguage(teacher, 'ko');
});

step(STEP.END, [STEP.START], async () => {
  const { page } = s.teacher;
  await page.locator(tid('end-class')).click();
  assert.equal((await page.locator(tid('confirm-dialog')).locator('h2').textContent()).trim(), '모두의 수업을 끝낼까요?');
  await page.locator(tid('confirm-ok')).click();
  const ended = page.locator(tid('room-closed'));
  await ended.waitFor({ state: 'visible' });
  assert.equal(await ended.getAttribute('data-audience'), 'teacher');
  assert.equal((await ended.locator('h1').textContent()).trim(), '수업을 끝냈어요');
  assert.doesNotMatch(await ended.textContent(), /수고했어요/, 'a teacher is not thanked for puzzling');
  await screenshot(page, 'class-ended-teacher-ko.png');
  await switchLanguage(page, 'en');
  assert.equal((await ended.locator('h1').textContent()).trim(), 'You ended the class');
  await screenshot(page, 'class-ended-teacher-en.png');

  if (step.passed.has(STEP.JOIN)) {
    const student = s.student.page.locator(tid('room-closed'));
    await student.waitFor({ state: 'visible' });
    assert.equal(await student.getAttribute('data-audience'), 'student');
    assert.equal((await student.locator('h1').textContent()).trim(), '수업이 끝났어요');
    await screenshot(s.student.page, 'class-ended-student-ko.png');
  }
});
