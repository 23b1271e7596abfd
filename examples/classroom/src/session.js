// Who this tab is in which class, and who this browser has been in each
// class. The tab's own session is in sessionStorage, so a reload (or a
// dropped Wi-Fi) brings the same person back into the same room. Every
// identity is also kept per room in localStorage, found by room id and by
// join code, so a second tab, or the share link opened again, continues as
// the same person with the same board instead of making a new participant.
// The landing page asks ("Continue as Ann" / "Not you?") rather than
// entering by itself: school laptops are shared, and the next student must
// be able to join as themselves.

const KEY = 'jigsync.session';

/**
 * @typedef {object} Session
 * @property {'teacher'|'student'} role
 * @property {string} roomId
 * @property {string} token
 * @property {string} userId
 * @property {string} name
 * @property {string} roomName
 * @property {string|null} joinCode  the code the person joined with (or the teacher's room's)
 * @property {number} [since]        last message seq shown, for a resume after reload
 */

const isSession = (s) => typeof s?.token === 'string' && typeof s?.roomId === 'string';

/** @returns {Session|null} */
export function loadSession() {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const session = JSON.parse(raw);
    return isSession(session) ? session : null;
  } catch {
    return null;
  }
}

/** @param {Session} session */
export function saveSession(session) {
  sessionStorage.setItem(KEY, JSON.stringify(session));
  remember(session);
}

/** Ends this tab's session; `forget` also drops the identity this browser keeps for the room. */
export function clearSession({ forget = false } = {}) {
  const session = loadSession();
  sessionStorage.removeItem(KEY);
  if (forget && session) forgetClass(session);
}

// The identities this browser has had, newest first, one per room. A
// teacher's token is the only key to their class, so losing it loses the
// class; a student's keeps their board. The older list of teachers' classes
// (from before students were kept too) is read once and folded in.
const IDENTITIES_KEY = 'jigsync.identities';
const LEGACY_RECENT_KEY = 'jigsync.recent-classes';
const IDENTITY_LIMIT = 10;

/** @returns {Session[]} newest first */
function identities() {
  try {
    let list = JSON.parse(localStorage.getItem(IDENTITIES_KEY) ?? 'null');
    if (!Array.isArray(list)) {
      const legacy = JSON.parse(localStorage.getItem(LEGACY_RECENT_KEY) ?? '[]');
      list = Array.isArray(legacy) ? legacy.map((s) => ({ role: 'teacher', ...s })) : [];
    }
    return list.filter(isSession);
  } catch {
    return [];
  }
}

function storeIdentities(list) {
  try {
    localStorage.setItem(IDENTITIES_KEY, JSON.stringify(list.slice(0, IDENTITY_LIMIT)));
    localStorage.removeItem(LEGACY_RECENT_KEY);
  } catch {
    // Storage full or disabled: the class still works, it just is not remembered.
  }
}

function remember(session) {
  const others = identities().filter((s) => s.roomId !== session.roomId);
  storeIdentities([{ ...session, since: undefined }, ...others]);
}

/** The teacher's classes started in this browser, for "Your classes". @returns {Session[]} newest first */
export function recentClasses() {
  return identities().filter((s) => s.role === 'teacher');
}

/**
 * Who this browser was in the class with `joinCode` (a share link), or,
 * without a code, the student it was most recently: the identity the landing
 * page offers to continue as (teachers without a code have "Your classes").
 * @returns {Session|null}
 */
export function savedIdentity(joinCode) {
  // A class that has ended cannot be continued (its teacher keeps its report).
  const list = identities().filter((s) => !s.endedAt);
  if (joinCode) return list.find((s) => s.joinCode === joinCode) ?? null;
  return list.find((s) => s.role === 'student') ?? null;
}

/**
 * A teacher's class has ended: it stays in "Your classes", for its report
 * (the teacher's token still reads it), but can no longer be continued.
 */
export function markEnded(session, at = Date.now()) {
  storeIdentities(identities().map((s) => (s.roomId === session.roomId ? { ...s, endedAt: at } : s)));
}

/** @param {{roomId: string}} session */
export function forgetClass(session) {
  storeIdentities(identities().filter((s) => s.roomId !== session.roomId));
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
