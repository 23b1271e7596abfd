// Turns the server's stable error codes into sentences for teachers and
// students, in their language. Everything user-facing about failures goes
// through here, so the wording stays consistent across screens. The
// server's own `message` is English for developers and never shown.

import { t } from './i18n/index.js';

/** Codes with a sentence in the catalogues (`error.<code>`): the server's (PROTOCOL.md §9) and the client's. */
const KNOWN = new Set([
  'invalid',
  'malformed',
  'unauthorized',
  'forbidden',
  'not_found',
  'busy',
  'locked',
  'rate_limited',
  'too_large',
  'unsupported_media_type',
  'internal',
  'unavailable',
  'muted',
  'chat_off',
  'whispers_off',
  'timeout',
  'disconnected',
  'closed',
  'queue_full',
  'http',
]);

/**
 * A sentence for an error from the client library (or anything else).
 * `overrides` maps a code to the sentence that fits the screen better.
 */
export function describeError(err, overrides = {}) {
  const code = err?.code;
  if (code && overrides[code]) return overrides[code];
  if (code && KNOWN.has(code)) return t(`error.${code}`);
  return t('error.unknown');
}

/**
 * Why a piece did not move. Offline, a drag cannot start (the grab needs the
 * server), so the sentence says so instead of promising to send it later.
 */
export function describeRefusedDrag(code) {
  const offline = t('board.offline');
  return describeError({ code }, { offline, disconnected: offline });
}
