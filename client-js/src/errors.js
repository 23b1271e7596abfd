// The one error type the client rejects with. `code` is a server error code
// (schema/PROTOCOL.md §9: 'forbidden', 'not_found', …) or one of the client's
// own codes below, so callers can branch on it the same way in both cases.

/** Codes the client itself uses, beside the server's error codes. */
export const CLIENT_ERROR_CODES = Object.freeze({
  /** No answer within the request timeout. */
  timeout: 'timeout',
  /** The connection dropped before the request was answered, or the client was offline. */
  disconnected: 'disconnected',
  /** The client was closed (close(), leave, kicked, room closed, bad token). */
  closed: 'closed',
  /** The offline chat queue is full. */
  queueFull: 'queue_full',
  /** An HTTP response that was not the JSON error shape. */
  http: 'http',
});

export class JigsyncError extends Error {
  /**
   * @param {string} code  server error code or one of CLIENT_ERROR_CODES
   * @param {string} message
   * @param {{ ref?: number|null, status?: number }} [details]
   */
  constructor(code, message, { ref = null, status } = {}) {
    super(message);
    this.name = 'JigsyncError';
    this.code = code;
    this.ref = ref;
    if (status !== undefined) this.status = status;
  }
}
