// The app's languages: which one is in use, and `t(key, params)`, the one
// lookup every user-facing string goes through. Catalogues are plain objects
// per locale (en.js, ko.js) whose values are templates:
//   "{name}"        a parameter;
//   "{name|이/가}"   the parameter followed by the Korean particle that fits it
//                   (korean.js);
//   { one, other }  plural forms, chosen by Intl.PluralRules from `params.count`.
// Nothing here touches the DOM at import, so the unit tests run it in Node.

import en from './en.js';
import ko from './ko.js';
import { particle } from './korean.js';

/** The languages offered, each named in itself for the switch. */
export const LOCALES = [
  { code: 'ko', name: '한국어' },
  { code: 'en', name: 'English' },
];
const CATALOGUES = { en, ko };
const FALLBACK = 'en';
const STORAGE_KEY = 'jigsync.lang';

let current = FALLBACK;
const listeners = new Set();

/** A supported locale for a language tag ("ko-KR" → "ko"), or null. */
export function supported(tag) {
  const base = String(tag ?? '').toLowerCase().split(/[-_]/)[0];
  return base in CATALOGUES ? base : null;
}

/**
 * The language to use: `?lang=` first (a link a teacher shares, or a test),
 * then the person's saved choice, then the browser's languages in order.
 */
export function detectLocale({ search = '', saved = null, languages = [] } = {}) {
  const fromUrl = supported(new URLSearchParams(search).get('lang'));
  if (fromUrl) return fromUrl;
  const fromSaved = supported(saved);
  if (fromSaved) return fromSaved;
  for (const tag of languages) {
    const found = supported(tag);
    if (found) return found;
  }
  return FALLBACK;
}

function readSaved() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

/** Picks the language for this page load and applies it to <html lang>. */
export function initLocale() {
  const languages = navigator.languages?.length ? navigator.languages : [navigator.language];
  applyLocale(detectLocale({ search: location.search, saved: readSaved(), languages }));
}

function applyLocale(code) {
  current = code;
  document.documentElement.lang = code;
}

/** The locale in use ("en" or "ko"). */
export function locale() {
  return current;
}

/**
 * Switches language: remembered in this browser, and any `?lang=` in the
 * address follows, so a reload keeps the choice. Listeners redraw.
 */
export function setLocale(code) {
  const next = supported(code);
  if (!next || next === current) return;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // Storage disabled: the choice lasts for this page only.
  }
  const url = new URL(location.href);
  if (url.searchParams.has('lang')) {
    url.searchParams.set('lang', next);
    history.replaceState(history.state, '', url);
  }
  applyLocale(next);
  for (const fn of [...listeners]) fn(next);
}

/** Calls `fn(locale)` after every switch; returns the function that stops it. */
export function onLocaleChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

const PLACEHOLDER = /\{(\w+)(?:\|([^/}]*)\/([^}]*))?\}/g;
const pluralRules = new Map();

/** `t` for a given locale (the tests use it directly). */
export function translate(code, key, params = {}) {
  let entry = CATALOGUES[code]?.[key] ?? CATALOGUES[FALLBACK][key];
  if (entry === undefined) return key;
  if (typeof entry === 'object') {
    if (!pluralRules.has(code)) pluralRules.set(code, new Intl.PluralRules(code));
    entry = entry[pluralRules.get(code).select(Number(params.count ?? 0))] ?? entry.other;
  }
  return entry.replace(PLACEHOLDER, (whole, name, afterConsonant, afterVowel) => {
    if (!(name in params)) return whole;
    const value = String(params[name]);
    return afterConsonant === undefined ? value : value + particle(value, afterConsonant, afterVowel);
  });
}

/** The current language's text for `key`, with `params` filled in. */
export function t(key, params) {
  return translate(current, key, params);
}

const timeFormats = new Map();

/** A message's time of day ("14:05", "오후 2:05") in the current language. */
export function formatTime(ms) {
  if (!timeFormats.has(current)) {
    timeFormats.set(current, new Intl.DateTimeFormat(current, { hour: 'numeric', minute: '2-digit' }));
  }
  return timeFormats.get(current).format(ms);
}

/**
 * Like `t`, but as a list of pieces, so that a parameter can be an element
 * (a link, a <strong>) placed where the language puts it:
 * tParts('projector.join', { host: h('strong', null, host) }).
 */
export function tParts(key, params = {}) {
  const marker = '\u0000';
  const strings = {};
  const nodes = [];
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && typeof value === 'object') {
      strings[name] = `${marker}${nodes.length}${marker}`;
      nodes.push(value);
    } else {
      strings[name] = value;
    }
  }
  return t(key, strings)
    .split(marker)
    .map((piece, i) => (i % 2 === 1 ? nodes[Number(piece)] : piece))
    .filter((piece) => piece !== '');
}
