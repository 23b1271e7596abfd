// Entry point: shows the landing page, or the classroom for the person this
// tab already joined as. A share link (`/?code=ABC234`) always opens the
// landing page with the code filled in.

import './styles.css';

import { renderLanding } from './landing.js';
import { renderRoom } from './room-page.js';
import { loadSession } from './session.js';

const root = document.getElementById('app');
let unmount = null;

function show() {
  unmount?.();
  unmount = null;
  root.replaceChildren();
  const params = new URLSearchParams(location.search);
  const session = params.has('code') ? null : loadSession();
  if (session) unmount = renderRoom(root, session, { onExit: leaveToLanding });
  else renderLanding(root, { code: params.get('code') ?? '', onEnter: enterRoom });
}

function enterRoom() {
  history.replaceState(null, '', '/');
  show();
}

function leaveToLanding() {
  history.replaceState(null, '', '/');
  show();
}

show();
