// Unit test of the app's languages (src/i18n/): both catalogues have the same
// keys and placeholders, the language is chosen in the documented order, and
// Korean particles after names follow the name's last sound. Also the system
// messages of the chat as the client words them from their structured event.
//
// Run: cd examples/classroom && node --test tests/i18n.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';

import en from '../src/i18n/en.js';
import { detectLocale, translate } from '../src/i18n/index.js';
import { particle } from '../src/i18n/korean.js';
import ko from '../src/i18n/ko.js';

const placeholders = (entry) =>
  [...new Set((typeof entry === 'object' ? Object.values(entry).join(' ') : entry).match(/\{\w+/g) ?? [])].sort();

test('the Korean and English catalogues have the same keys and placeholders', () => {
  assert.deepEqual(Object.keys(ko).sort(), Object.keys(en).sort());
  for (const key of Object.keys(en)) {
    assert.deepEqual(placeholders(ko[key]), placeholders(en[key]), `placeholders of ${key}`);
  }
});

test('language: ?lang= first, then the saved choice, then the browser languages, then English', () => {
  assert.equal(detectLocale({ search: '?lang=ko', saved: 'en', languages: ['en-US'] }), 'ko');
  assert.equal(detectLocale({ search: '?lang=xx', saved: 'ko', languages: ['en-US'] }), 'ko');
  assert.equal(detectLocale({ search: '', saved: null, languages: ['fr-FR', 'ko-KR', 'en'] }), 'ko');
  assert.equal(detectLocale({ search: '', saved: null, languages: ['fr-FR'] }), 'en');
  assert.equal(detectLocale({ search: '?code=ABC234&lang=EN', saved: 'ko' }), 'en');
});

test('Korean particles follow the final consonant (batchim) of the name', () => {
  assert.equal(particle('박서연', '이', '가'), '이'); // 연: final ㄴ
  assert.equal(particle('최지우', '이', '가'), '가'); // 우: no final
  assert.equal(particle('김민준', '을', '를'), '을');
  assert.equal(particle('이수아', '을', '를'), '를');
  assert.equal(particle('서울', '으로', '로'), '로'); // ㄹ takes 로
  assert.equal(particle('박서연', '으로', '로'), '으로');
  assert.equal(particle('3반', '과', '와'), '과');
  assert.equal(particle('5학년 2', '이', '가'), '가'); // 2 is read 이
  assert.equal(particle('Ann', '이', '가'), '이(가)'); // cannot be told: both forms
});

test('templates fill in names with their particles, and plurals', () => {
  assert.equal(translate('ko', 'system.kick', { user: '최지우', by: '김민준' }), '김민준이 최지우를 내보냈어요');
  assert.equal(translate('ko', 'system.kick', { user: '박서연', by: '이수아' }), '이수아가 박서연을 내보냈어요');
  assert.equal(translate('ko', 'system.join', { user: 'Ann' }), 'Ann이(가) 들어왔어요');
  assert.equal(translate('en', 'teacher.started', { count: 1 }), 'Puzzle started on 1 board.');
  assert.equal(translate('en', 'teacher.started', { count: 3 }), 'Puzzle started on 3 boards.');
  assert.equal(translate('ko', 'teacher.started', { count: 3 }), '퍼즐 판 3개로 시작했어요.');
  // A name is inserted as it is, never read as a template.
  assert.equal(translate('en', 'system.join', { user: '{by}' }), '{by} joined');
});

test('system messages are worded from their event, in the reader language', async () => {
  const { systemText } = await import('../src/system-message.js');
  const names = { u1: '김민준', u2: '최지우', u3: '박서연' };
  const say = (lang, event, text = '') =>
    systemText({ kind: 'system', text, event }, { nameOf: (id) => names[id], tr: (key, params) => translate(lang, key, params) });

  assert.equal(say('ko', { kind: 'join', user: 'u3', by: null }), '박서연이 들어왔어요');
  assert.equal(say('ko', { kind: 'join', user: 'u2', by: null }), '최지우가 들어왔어요');
  assert.equal(say('ko', { kind: 'leave', user: 'u2', by: null }), '최지우가 나갔어요');
  assert.equal(say('ko', { kind: 'kick', user: 'u2', by: 'u1' }), '김민준이 최지우를 내보냈어요');
  assert.equal(say('ko', { kind: 'owner', user: 'u3', by: 'u1' }), '박서연이 이제 방장이에요');
  assert.equal(say('ko', { kind: 'closed', user: 'u1', by: 'u1' }), '김민준이 수업을 끝냈어요');
  assert.equal(say('en', { kind: 'kick', user: 'u2', by: 'u1' }), '최지우 was removed by 김민준');
  // Solved: the mode and the time come from the event.
  const solved = (user, mode, tookMs) => ({ kind: 'solved', user, by: null, board: 3, mode, tookMs });
  assert.equal(say('ko', solved('u3', 'individual', 65_000)), '박서연이 1분 5초 만에 퍼즐을 완성했어요');
  assert.equal(say('en', solved('u3', 'individual', 42_400)), '박서연 solved their puzzle in 42 s');
  assert.equal(say('ko', solved('u2', 'shared', 7_380_000)), '우리 반 퍼즐 완성! 최지우가 2시간 3분 만에 마지막 조각을 맞췄어요');
  assert.equal(say('en', solved('u3', 'groups', 9_000)), "박서연's team solved their puzzle in 9 s");
  assert.equal(say('en', solved('u3', 'groups', null)), "박서연's team solved their puzzle");
  // Someone this page never saw: the name stored with the event, never the server's text.
  const gone = { kind: 'kick', user: 'gone', by: 'u1', userName: 'Ann', byName: '김민준' };
  assert.equal(say('ko', gone, 'garbled'), '김민준이 Ann을(를) 내보냈어요');
  assert.equal(say('ko', { kind: 'leave', user: 'gone', by: null, userName: '이수아' }, 'garbled'), '이수아가 나갔어요');
  // Stored before names were kept, by someone unknown: "someone", not the English text.
  assert.equal(say('ko', { kind: 'leave', user: 'gone', by: null }, 'Ann left'), '누군가가 나갔어요');
});
