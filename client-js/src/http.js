// The JSON HTTP API (schema/PROTOCOL.md §11). Errors come back as
// `{"error": {"code", "message"}}` and are thrown as JigsyncError.

import { CLIENT_ERROR_CODES, JigsyncError } from './errors.js';

/** http(s)://host[:port] for a server given as an http(s) or ws(s) URL. */
export function httpBase(url) {
  const parsed = new URL(url);
  if (parsed.protocol === 'ws:') parsed.protocol = 'http:';
  else if (parsed.protocol === 'wss:') parsed.protocol = 'https:';
  else if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`unsupported server URL ${url}: use http(s):// or ws(s)://`);
  }
  return parsed.origin;
}

/** ws(s)://host[:port] for a server given as an http(s) or ws(s) URL. */
export function wsBase(url) {
  return httpBase(url).replace(/^http/, 'ws');
}

/**
 * One request. `json` is sent as a JSON body, `form` as multipart. Resolves
 * with the parsed JSON body of a 2xx response (its bytes, a Uint8Array, with
 * `binary`); throws JigsyncError otherwise.
 */
export async function request(
  base,
  method,
  route,
  { token, json, form, binary = false, timeoutMs = 10_000, fetch: fetchFn } = {},
) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  let body;
  if (json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  const doFetch = fetchFn ?? globalThis.fetch;
  let res;
  try {
    res = await doFetch(httpBase(base) + route, {
      method,
      headers,
      body,
      signal: typeof AbortSignal.timeout === 'function' ? AbortSignal.timeout(timeoutMs) : undefined,
    });
  } catch (err) {
    const timedOut = err?.name === 'TimeoutError' || err?.name === 'AbortError';
    throw new JigsyncError(
      timedOut ? CLIENT_ERROR_CODES.timeout : CLIENT_ERROR_CODES.disconnected,
      `${method} ${route}: ${timedOut ? `no answer within ${timeoutMs} ms` : err?.message ?? err}`,
    );
  }
  if (res.ok && binary) return new Uint8Array(await res.arrayBuffer());
  const text = await res.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (res.ok) return parsed;
  const error = parsed?.error;
  if (error && typeof error.code === 'string') {
    throw new JigsyncError(error.code, String(error.message ?? error.code), { status: res.status });
  }
  throw new JigsyncError(CLIENT_ERROR_CODES.http, `${method} ${route}: HTTP ${res.status} ${text.slice(0, 200)}`, {
    status: res.status,
  });
}

/**
 * What creating a class asks for on this server (PROTOCOL.md §11).
 * @returns {Promise<{ teacherSignup: 'open' | 'secret' | 'token' }>}
 */
export function getServerConfig(url, options = {}) {
  return request(url, 'GET', '/api/config', options);
}

/**
 * Creates a room; the creator becomes its teacher and owner. `teacherPass`
 * (from an earlier createRoom, or a district's teacher token) keeps the
 * teacher the same teacher; `signupSecret` is for servers that ask for one.
 * @returns {Promise<{ roomId: string, joinCode: string, teacherToken: string, userId: string, teacherPass: string, teacherId: string }>}
 */
export function createRoom(url, { name, teacherName, teacherPass, signupSecret }, options = {}) {
  const json = signupSecret ? { name, teacherName, signupSecret } : { name, teacherName };
  return request(url, 'POST', '/api/rooms', { ...options, token: teacherPass, json });
}

/**
 * Joins a room as a student with its join code. `name` is the name the
 * room shows: the one asked for, with a number if someone has it already.
 * @returns {Promise<{ roomId: string, token: string, userId: string, color: string, name: string }>}
 */
export function joinRoom(url, { joinCode, name }, options = {}) {
  return request(url, 'POST', '/api/join', { ...options, json: { joinCode, name } });
}

/**
 * Adds a co-teacher (needs a teacher token of that room). With `teacherId`
 * (theirs, from their own createRoom), the class shows in their lobby.
 * @returns {Promise<{ roomId: string, token: string, userId: string, color: string, name: string }>}
 */
export function addTeacher(url, { roomId, teacherToken, name, teacherId }, options = {}) {
  return request(url, 'POST', `/api/rooms/${encodeURIComponent(roomId)}/teachers`, {
    ...options,
    token: teacherToken,
    json: teacherId ? { name, teacherId } : { name },
  });
}

/**
 * Deletes a room with everything in it (needs the owner's teacher token, or
 * the server's operator secret). Its connections close with 4404.
 * @returns {Promise<void>}
 */
export async function deleteRoom(url, { roomId, token }, options = {}) {
  await request(url, 'DELETE', `/api/rooms/${encodeURIComponent(roomId)}`, { ...options, token });
}

/** A Blob for upload from a File, Blob, Uint8Array or ArrayBuffer. */
export function toBlob(file) {
  if (typeof Blob !== 'undefined' && file instanceof Blob) return file;
  if (file instanceof Uint8Array || file instanceof ArrayBuffer) return new Blob([file]);
  throw new TypeError('file must be a File, Blob, Uint8Array or ArrayBuffer');
}

/**
 * The end-of-class report (needs a teacher token of that room; still
 * answers once the class has ended): per student, solved or not, time to
 * solve, progress and drops. PROTOCOL.md §11, Report.
 * @returns {Promise<import('./index.js').ClassReport>}
 */
export function fetchReport(url, { roomId, token }, options = {}) {
  return request(url, 'GET', `/api/rooms/${encodeURIComponent(roomId)}/report`, { ...options, token });
}
