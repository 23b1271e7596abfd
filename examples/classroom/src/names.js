// The server's limits on names (PROTOCOL.md §10: trimmed, not empty, at most
// 40 characters for a person and 80 for a class), checked before sending so
// that people get a sentence saying what to fix instead of a generic refusal.

import { t } from './i18n/index.js';

export const MAX_NAME_CHARS = 40;
export const MAX_ROOM_NAME_CHARS = 80;

/** Characters as the server counts them (Unicode scalar values, not UTF-16 units). */
export function charCount(text) {
  return [...text].length;
}

/** What is wrong with a person's name, or null when the server will take it. */
export function nameProblem(name) {
  const trimmed = name.trim();
  if (!trimmed) return t('name.blank');
  const count = charCount(trimmed);
  return count > MAX_NAME_CHARS ? t('name.tooLong', { max: MAX_NAME_CHARS, count }) : null;
}

/** What is wrong with a class's name, or null. */
export function roomNameProblem(name) {
  const trimmed = name.trim();
  if (!trimmed) return t('room.blank');
  const count = charCount(trimmed);
  return count > MAX_ROOM_NAME_CHARS ? t('room.tooLong', { max: MAX_ROOM_NAME_CHARS, count }) : null;
}
