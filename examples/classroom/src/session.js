// Who this tab is in which class. Kept in sessionStorage so a reload (or a
// dropped Wi-Fi) brings the same person back into the same room, while two
// tabs of one browser can still be two different people (handy for a
// teacher checking the student view). Teachers' classes are also remembered
// across tabs (below).

const KEY = 'jigsync.session';

/**
 * @typedef {object} Session
 * @property {'teacher'|'student'} role
 * @property {string} roomId
 * @property {string} token
 * @property {string} userId
 * @property {string} name
 * @property {string} roomName
 * @property {string|null} joinCode  known to the teacher who created the room
 * @property {number} [since]        last message seq shown, for a resume after reload
 */

/** @returns {Session|null} */
export function loadSession() {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const session = JSON.parse(raw);
    return typeof session?.token === 'string' && typeof session?.roomId === 'string' ? session : null;
  } catch {
    return null;
  }
}

/** @param {Session} session */
export function saveSession(session) {
  sessionStorage.setItem(KEY, JSON.stringify(session));
  if (session.role === 'teacher') remember(session);
}

/** Ends this tab's session; `forget` also drops it from the teacher's recent classes. */
export function clearSession({ forget = false } = {}) {
  const session = loadSession();
  sessionStorage.removeItem(KEY);
  if (forget && session) forgetClass(session);
}

// A teacher who closes the tab must be able to get back to their class: the
// teacher token is the only key to it. So teachers' sessions are also kept in
// localStorage, as "your classes" on the landing page. Students' are not: a
// school Chromebook is often shared, and a student can simply join again.
const RECENT_KEY = 'jigsync.recent-classes';
const RECENT_LIMIT = 5;

/** @returns {Session[]} newest first */
export function recentClasses() {
  try {
    const list = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]');
    return Array.isArray(list) ? list.filter((s) => typeof s?.token === 'string' && typeof s?.roomId === 'string') : [];
  } catch {
    return [];
  }
}

function storeRecent(list) {
  try {
    localStorage.setItem(RECENT_KEY, JSON.stringify(list.slice(0, RECENT_LIMIT)));
  } catch {
    // Storage full or disabled: the class still works, it just is not remembered.
  }
}

function remember(session) {
  const others = recentClasses().filter((s) => !(s.roomId === session.roomId && s.userId === session.userId));
  storeRecent([{ ...session, since: undefined }, ...others]);
}

/** @param {{roomId: string, userId: string}} session */
export function forgetClass(session) {
  storeRecent(recentClasses().filter((s) => !(s.roomId === session.roomId && s.userId === session.userId)));
}

/** The link students open to join: the app's address with the code filled in. */
export function shareLink(joinCode) {
  const url = new URL('/', location.href);
  url.searchParams.set('code', joinCode);
  return url.href;
}

/** "ABC234" -> "ABC 234": easier to read aloud and copy from a projector. */
export function spacedCode(joinCode) {
  return joinCode.length === 6 ? `${joinCode.slice(0, 3)} ${joinCode.slice(3)}` : joinCode;
}
