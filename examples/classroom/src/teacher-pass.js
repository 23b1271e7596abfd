// The teacher pass this browser holds: who the teacher is across classes
// (PROTOCOL.md §2). The server hands one out with every class created and
// takes it back with the next, so a teacher on this browser stays the same
// teacher (the lobby groups classes by it) and, on a server that asks for a
// signup secret or a district's teacher token, is asked only once. It is
// kept in localStorage: it outlives the tab, like the teacher's classes.

import { getServerConfig } from 'jigsync-client';

const KEY = 'jigsync.teacherPass';

/** @returns {string|null} */
export function loadTeacherPass() {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function saveTeacherPass(pass) {
  if (typeof pass === 'string' && pass) localStorage.setItem(KEY, pass);
}

/** Drops a pass the server refused (expired, or of a key it no longer accepts). */
export function forgetTeacherPass() {
  localStorage.removeItem(KEY);
}

/**
 * What creating a class asks for on this server: 'open', 'secret' or
 * 'token'. A server that cannot say is taken as 'open': its refusal, if
 * any, then says what is missing.
 */
export async function signupMode(server) {
  try {
    return (await getServerConfig(server)).teacherSignup ?? 'open';
  } catch {
    return 'open';
  }
}
