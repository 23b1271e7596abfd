// Unit test of src/join-code.js: a class code typed with the Korean keyboard
// layout on (2-beolsik) comes back as the Latin keys that were pressed,
// syllables the IME composed included.
//
// Run: cd examples/classroom && node --test tests/join-code.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { hangulToLatinKeys, normaliseCode } from '../src/join-code.js';

test('every jamo of the layout maps to its key; shifted jamo to upper case', () => {
  assert.equal(hangulToLatinKeys('ㅂㅈㄷㄱㅅㅛㅕㅑㅐㅔ'), 'qwertyuiop');
  assert.equal(hangulToLatinKeys('ㅁㄴㅇㄹㅎㅗㅓㅏㅣ'), 'asdfghjkl');
  assert.equal(hangulToLatinKeys('ㅋㅌㅊㅍㅠㅜㅡ'), 'zxcvbnm');
  assert.equal(hangulToLatinKeys('ㅃㅉㄸㄲㅆㅒㅖ'), 'QWERTOP');
});

test('composed syllables are split into the keys that typed them', () => {
  // 뮤 = ㅁ + ㅠ (A, B); 쇼 = ㅅ + ㅛ (T, Y)
  assert.equal(hangulToLatinKeys('뮤'), 'ab');
  assert.equal(hangulToLatinKeys('쇼'), 'ty');
  // A final consonant: 닭 = ㄷ + ㅏ + ㄺ (ㄹㄱ)
  assert.equal(hangulToLatinKeys('닭'), 'ekfr');
  // Compound vowels: 뭐 = ㅁ + ㅝ (ㅜㅓ), 와 = ㅇ + ㅘ (ㅗㅏ), 의 = ㅇ + ㅢ (ㅡㅣ)
  assert.equal(hangulToLatinKeys('뭐와의'), 'anjdhkdml');
  // Compound finals: 값 = ㄱ + ㅏ + ㅄ (ㅂㅅ), 넋 = ㄴ + ㅓ + ㄳ (ㄱㅅ)
  assert.equal(hangulToLatinKeys('값넋'), 'rkqtsjrt');
  // Double consonants (shifted keys) inside syllables: 꽈 = ㄲ + ㅘ, 쌍 = ㅆ + ㅏ + ㅇ
  assert.equal(hangulToLatinKeys('꽈쌍'), 'RhkTkd');
  // Standalone compound jamo, as an IME shows them mid-word.
  assert.equal(hangulToLatinKeys('ㅘㄳㅀ'), 'hkrtfg');
});

test('decomposed (NFD) syllables are read like composed ones', () => {
  assert.equal(hangulToLatinKeys('뮤'.normalize('NFD')), 'ab');
});

test('anything that is not Hangul is kept', () => {
  assert.equal(hangulToLatinKeys('abc-234 ✓'), 'abc-234 ✓');
});

test('normaliseCode: the code field keeps the code alphabet, upper case, 6 characters', () => {
  // "QWE234" typed with the Korean layout: ㅂㅈㄷ234
  assert.equal(normaliseCode('ㅂㅈㄷ234'), 'QWE234');
  // The IME joined ㅁ and ㅠ into 뮤, and ㅊ stayed alone: ABC
  assert.equal(normaliseCode('뮤ㅊ 2-34'), 'ABC234');
  // Mixed: Latin, spaces and a composed syllable with a final (ㅎ ㅗ ㅁ: G H A)
  assert.equal(normaliseCode('x 홈 9'), 'XGHA9');
  // Letters outside the code alphabet (I, L, O, U, V) are dropped as before.
  assert.equal(normaliseCode('ㅑㅣㅐㅕㅍ'), '');
  assert.equal(normaliseCode('abcdefgh'), 'ABCDEF');
});
