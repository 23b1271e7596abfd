// The class code as people type it. Korean students often have the Korean
// keyboard layout on: pressing the keys Q W E R T… then yields Hangul jamo
// (ㅂㅈㄷㄱㅅ…), which the IME composes into syllables (ㅁ + ㅠ → 뮤). Codes
// are Latin letters and digits, so the jamo are mapped back to the keys of
// the standard 2-beolsik layout instead of being dropped.

/** 2-beolsik: jamo → the key (QWERTY) that types it; shifted keys upper case. */
const KEY_OF_JAMO = {
  ㅂ: 'q', ㅈ: 'w', ㄷ: 'e', ㄱ: 'r', ㅅ: 't', ㅛ: 'y', ㅕ: 'u', ㅑ: 'i', ㅐ: 'o', ㅔ: 'p',
  ㅁ: 'a', ㄴ: 's', ㅇ: 'd', ㄹ: 'f', ㅎ: 'g', ㅗ: 'h', ㅓ: 'j', ㅏ: 'k', ㅣ: 'l',
  ㅋ: 'z', ㅌ: 'x', ㅊ: 'c', ㅍ: 'v', ㅠ: 'b', ㅜ: 'n', ㅡ: 'm',
  ㅃ: 'Q', ㅉ: 'W', ㄸ: 'E', ㄲ: 'R', ㅆ: 'T', ㅒ: 'O', ㅖ: 'P',
};

// Jamo the IME builds from two keystrokes: compound vowels and double finals.
const COMPOUND = {
  ㅘ: 'ㅗㅏ', ㅙ: 'ㅗㅐ', ㅚ: 'ㅗㅣ', ㅝ: 'ㅜㅓ', ㅞ: 'ㅜㅔ', ㅟ: 'ㅜㅣ', ㅢ: 'ㅡㅣ',
  ㄳ: 'ㄱㅅ', ㄵ: 'ㄴㅈ', ㄶ: 'ㄴㅎ', ㄺ: 'ㄹㄱ', ㄻ: 'ㄹㅁ', ㄼ: 'ㄹㅂ', ㄽ: 'ㄹㅅ',
  ㄾ: 'ㄹㅌ', ㄿ: 'ㄹㅍ', ㅀ: 'ㄹㅎ', ㅄ: 'ㅂㅅ',
};

// A precomposed syllable is 0xAC00 + (initial × 21 + vowel) × 28 + final (Unicode §3.12).
const INITIALS = 'ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ';
const VOWELS = 'ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ';
const FINALS = ['', ...'ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ'];
const SYLLABLE_FIRST = 0xac00;
const SYLLABLE_LAST = 0xd7a3;

/** One character as the keys that typed it: a syllable or compound jamo is split. */
function keystrokes(char) {
  const code = char.codePointAt(0);
  let jamo = char;
  if (code >= SYLLABLE_FIRST && code <= SYLLABLE_LAST) {
    const index = code - SYLLABLE_FIRST;
    jamo = INITIALS[Math.floor(index / 588)] + VOWELS[Math.floor((index % 588) / 28)] + FINALS[index % 28];
  }
  let out = '';
  for (const j of jamo) {
    for (const simple of COMPOUND[j] ?? j) out += KEY_OF_JAMO[simple] ?? simple;
  }
  return out;
}

/**
 * Text typed with a Korean layout as the Latin keys pressed: "ㅂ쟈" → "qwi".
 * Anything that is not Hangul is kept as it is.
 */
export function hangulToLatinKeys(text) {
  let out = '';
  // NFC first: a decomposed syllable (as some systems paste it) becomes one character.
  for (const char of text.normalize('NFC')) out += keystrokes(char);
  return out;
}

const CODE_ALPHABET = /[^ABCDEFGHJKMNPQRSTWXYZ23456789]/g;

/**
 * What the code field keeps of what people type ("abc-234", "abc 234", or the
 * same keys with the Korean layout on): the code's own characters, upper case,
 * at most 6.
 */
export function normaliseCode(text) {
  return hangulToLatinKeys(text).toUpperCase().replace(CODE_ALPHABET, '').slice(0, 6);
}
