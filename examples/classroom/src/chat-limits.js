// How long a chat message may be, and how a long one is shown. The server
// refuses a text over MAX_TEXT_CHARS characters (after trimming, counted as
// Unicode characters: PROTOCOL.md §10), so the composer counts the same way
// and says so before sending instead of cutting the text silently; and a
// long message is collapsed to a few lines in the list, with "show more".

import { h } from './dom.js';
import { t } from './i18n/index.js';

/** PROTOCOL.md §10, `MAX_TEXT_CHARS`. */
export const MAX_TEXT_CHARS = 2000;
/** The counter shows from here on: early enough to shorten a message, late enough not to distract. */
export const COUNT_FROM = Math.floor(MAX_TEXT_CHARS * 0.8);

/** Characters as the server counts them: code points of the trimmed text. */
export const textLength = (text) => [...text.trim()].length;

/** Lines shown of a collapsed message (the CSS clamp in styles.css says the same). */
const COLLAPSED_LINES = 5;
/** Roughly what fills those lines in the chat panel's width. */
const COLLAPSE_OVER_CHARS = 280;

/** A message's text, collapsed with a "show more" toggle when it is long. */
export function messageText(text) {
  const body = h('div', { class: 'message-text', testid: 'message-text' }, text);
  const long = text.split('\n').length > COLLAPSED_LINES || [...text].length > COLLAPSE_OVER_CHARS;
  if (!long) return body;
  body.classList.add('collapsed');
  const id = `message-text-${Math.random().toString(36).slice(2)}`;
  body.id = id;
  const toggle = h('button', { type: 'button', class: 'link-button show-more', testid: 'show-more', 'aria-expanded': 'false', 'aria-controls': id });
  const show = (expanded) => {
    body.classList.toggle('collapsed', !expanded);
    toggle.setAttribute('aria-expanded', String(expanded));
    toggle.textContent = expanded ? t('chat.showLess') : t('chat.showMore');
  };
  toggle.addEventListener('click', () => show(toggle.getAttribute('aria-expanded') !== 'true'));
  show(false);
  return h('div', { class: 'message-body' }, body, toggle);
}

/**
 * The composer's counter: hidden below COUNT_FROM, then "1,650 / 2,000",
 * and over the limit how many characters to remove. `update(text)` returns
 * whether the text can be sent.
 */
export function lengthCounter() {
  const el = h('p', { class: 'char-count muted', testid: 'chat-count', 'aria-live': 'polite', hidden: true });
  const update = (text) => {
    const length = textLength(text);
    const over = length - MAX_TEXT_CHARS;
    el.hidden = length < COUNT_FROM;
    el.classList.toggle('over', over > 0);
    el.textContent = over > 0 ? t('chat.tooLong', { count: over, max: MAX_TEXT_CHARS }) : t('chat.count', { count: length, max: MAX_TEXT_CHARS });
    return over <= 0;
  };
  return { el, update };
}
