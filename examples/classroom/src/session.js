// Who this tab is in which class. Kept in sessionStorage so a reload (or a
// dropped Wi-Fi) brings the same person back into the same room, while two
// tabs of one browser can still be two different people (handy for a
// teacher checking the student view).

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
}

export function clearSession() {
  sessionStorage.removeItem(KEY);
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
