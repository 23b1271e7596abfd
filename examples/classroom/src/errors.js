// Turns the server's stable error codes into sentences for teachers and
// students. Everything user-facing about failures goes through here, so the
// wording stays consistent across screens.

const MESSAGES = {
  invalid: 'That did not look right. Please check and try again.',
  malformed: 'Something went wrong talking to the server.',
  unauthorized: 'Your session has expired. Please join again.',
  forbidden: 'You are not allowed to do that.',
  not_found: 'That no longer exists.',
  busy: 'Someone else is moving that piece.',
  locked: 'The teacher paused the puzzle.',
  rate_limited: 'Slow down a little, then try again.',
  too_large: 'That is too large.',
  unsupported_media_type: 'Pick a picture: GIF, PNG, JPEG or WebP.',
  internal: 'The server had a problem. Please try again.',
  unavailable: 'The class is moving to another server. Please try again in a moment.',
  timeout: 'The server did not answer in time.',
  disconnected: 'You are offline. It will be sent when you are back.',
  closed: 'The connection is closed.',
  queue_full: 'Too many messages are waiting to be sent.',
  http: 'Could not reach the server.',
};

/** A sentence for an error from the client library (or anything else). */
export function describeError(err, overrides = {}) {
  const code = err?.code;
  if (code && overrides[code]) return overrides[code];
  if (code && MESSAGES[code]) return MESSAGES[code];
  return err?.message || 'Something went wrong.';
}
