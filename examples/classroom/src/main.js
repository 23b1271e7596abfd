// Entry point: picks the language (the pages redraw themselves when it is
// switched), then shows the landing page, or the
// classroom for the person this tab already joined as. A share link
// (`/?code=ABC234`) always opens the landing page with the code filled in.

import './styles.css';

import { initLocale, t } from './i18n/index.js';
import { renderLanding } from './landing.js';
import { renderRoom } from './room-page.js';
import { loadSession } from './session.js';

initLocale();

const root = document.getElementById('app');
let unmount = null;

function show() {
  unmount?.();
  unmount = null;
  root.replaceChildren();
  document.title = t('app.title');
  const params = new URLSearchParams(location.search);
  const session = params.has('code') ? null : loadSession();
  if (session) unmount = renderRoom(root, session, { onExit: leaveToLanding });
  else unmount = renderLanding(root, { code: params.get('code') ?? '', onEnter: enterRoom });
}

/** The address without the code (it was used) but with a chosen `?lang=`, so a reload keeps the language. */
function homeUrl() {
  const lang = new URLSearchParams(location.search).get('lang');
  return lang ? `/?lang=${encodeURIComponent(lang)}` : '/';
}

function enterRoom() {
  history.replaceState(null, '', homeUrl());
  show();
}

function leaveToLanding() {
  history.replaceState(null, '', homeUrl());
  show();
}

show();
