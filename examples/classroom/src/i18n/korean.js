// Korean particles after a name. Which form follows a word depends on its last
// sound: after a final consonant (batchim) 이/은/을/과/으로, after a vowel
// 가/는/를/와/로. The catalogue writes a pair, as in "{user|이/가}", and this
// picks the form from the name the sentence is about.

const SYLLABLE_FIRST = 0xac00;
const SYLLABLE_LAST = 0xd7a3;
/** The final-consonant index of ㄹ, which takes 로 rather than 으로. */
const RIEUL = 8;
/** How digits are read aloud (일, 이, 삼, …): whether the reading ends in a consonant, and in ㄹ. */
const DIGIT_ENDINGS = {
  0: 'ㅇ', 1: 'ㄹ', 2: '', 3: 'ㅁ', 4: '', 5: '', 6: 'ㄱ', 7: 'ㄹ', 8: 'ㄹ', 9: '',
};

/**
 * The sound a word ends with: 'vowel', 'rieul' (ㄹ), 'consonant', or null
 * when it cannot be told (a Latin name, say: "Ann" is read 앤, "Bea" 비).
 */
export function ending(word) {
  const last = [...String(word).trim()].at(-1);
  if (!last) return null;
  const code = last.codePointAt(0);
  if (code >= SYLLABLE_FIRST && code <= SYLLABLE_LAST) {
    const final = (code - SYLLABLE_FIRST) % 28;
    if (final === 0) return 'vowel';
    return final === RIEUL ? 'rieul' : 'consonant';
  }
  if (last in DIGIT_ENDINGS) {
    const jamo = DIGIT_ENDINGS[last];
    return jamo === '' ? 'vowel' : jamo === 'ㄹ' ? 'rieul' : 'consonant';
  }
  return null;
}

/**
 * The particle of the pair `afterConsonant/afterVowel` that follows `word`,
 * e.g. particle('박서연', '이', '가') → '이'. When the ending cannot be told,
 * both forms, the usual neutral spelling: '이(가)'.
 */
export function particle(word, afterConsonant, afterVowel) {
  const end = ending(word);
  // 으로/로 is the one pair where ㄹ goes with the vowel form.
  if (end === 'rieul' && afterConsonant === '으로') return afterVowel;
  if (end === 'consonant' || end === 'rieul') return afterConsonant;
  if (end === 'vowel') return afterVowel;
  return `${afterConsonant}(${afterVowel})`;
}
