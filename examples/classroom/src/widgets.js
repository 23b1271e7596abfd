// Small pieces of UI shared by every screen: the logo, progress bars,
// notices (toasts), the confirmation dialog and full-screen messages.

import { h } from './dom.js';
import { t } from './i18n/index.js';

export function brand() {
  return h(
    'a',
    { class: 'brand', href: '/', 'aria-label': t('brand.home') },
    h('span', { class: 'brand-mark', 'aria-hidden': 'true' }),
    h('span', { class: 'brand-name' }, 'Jigsync'),
  );
}

/** A progress bar whose value (0–1) is also in `data-value` for tests and styling. */
export function progressBar({ label = t('progress.label'), compact = false } = {}) {
  const fill = h('span', { class: 'progress-fill' });
  const text = h('span', { class: 'progress-text' });
  const el = h(
    'div',
    {
      class: compact ? 'progress compact' : 'progress',
      testid: 'progress',
      role: 'progressbar',
      'aria-label': label,
      'aria-valuemin': 0,
      'aria-valuemax': 100,
    },
    h('span', { class: 'progress-track' }, fill),
    text,
  );
  const set = (value) => {
    const pct = Math.round(Math.max(0, Math.min(1, value)) * 100);
    el.dataset.value = String(value);
    el.setAttribute('aria-valuenow', String(pct));
    el.classList.toggle('done', value >= 1);
    fill.style.width = `${pct}%`;
    text.textContent = `${pct}%`;
  };
  set(0);
  return { el, set };
}

/** A small round dot in a participant's colour (decoration: the name is next to it). */
export function dot(color, props = {}) {
  return h('span', { class: 'dot', style: { background: color }, 'aria-hidden': 'true', ...props });
}

/**
 * The green/grey online dot, labelled for screen readers (an image with a
 * name) and with a tooltip for the mouse. `set(online)` updates it.
 */
export function presenceDot(online, props = {}) {
  const el = h('span', { role: 'img', ...props });
  const set = (now) => {
    const label = now ? t('presence.online') : t('presence.offline');
    el.className = now ? 'presence online' : 'presence';
    el.dataset.online = String(now);
    el.title = label;
    el.setAttribute('aria-label', label);
  };
  set(online);
  return { el, set };
}

let toastRegion = null;

/** Shows a notice for a few seconds. `kind`: info | error | success. */
export function toast(text, kind = 'info') {
  if (!toastRegion || !toastRegion.isConnected) {
    toastRegion = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(toastRegion);
  }
  const el = h('div', { class: `toast ${kind}`, testid: 'toast' }, text);
  toastRegion.append(el);
  setTimeout(() => el.classList.add('leaving'), 3500);
  setTimeout(() => el.remove(), 4000);
}

/**
 * Asks before something that cannot be undone. Resolves true when the
 * person confirms, false when they cancel (button, Escape or backdrop).
 */
export function confirmDialog({ title, body, confirm = t('dialog.confirm'), danger = false }) {
  return new Promise((resolve) => {
    const dialog = h(
      'dialog',
      { class: 'modal', testid: 'confirm-dialog' },
      h(
        'form',
        { method: 'dialog' },
        h('h2', null, title),
        body ? h('p', null, body) : null,
        h(
          'div',
          { class: 'modal-actions' },
          h('button', { value: 'cancel', class: 'button', testid: 'confirm-cancel' }, t('dialog.cancel')),
          h('button', { value: 'ok', class: danger ? 'button danger' : 'button primary', testid: 'confirm-ok' }, confirm),
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok');
      dialog.remove();
    });
    dialog.addEventListener('click', (event) => {
      if (event.target === dialog) dialog.close('cancel');
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/**
 * A screen that replaces the classroom: removed, class ended, link expired.
 * `extra`: one more action, shown first; `after`: an element under the
 * actions (a second, lesser action such as deleting the class).
 */
export function fullScreenMessage({ testid, icon, title, body, action, extra, after }) {
  return h(
    'div',
    { class: 'screen-message', testid },
    h(
      'div',
      { class: 'card screen-card' },
      h('div', { class: 'screen-icon', 'aria-hidden': 'true' }, icon),
      h('h1', null, title),
      h('p', { class: 'muted' }, body),
      h(
        'div',
        { class: 'screen-actions' },
        extra ? h('button', { class: 'button', testid: extra.testid, onclick: extra.onClick }, extra.label) : null,
        action ? h('button', { class: 'button primary', onclick: action.onClick }, action.label) : null,
      ),
      after ?? null,
    ),
  );
}
