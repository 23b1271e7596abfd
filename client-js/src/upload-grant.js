// A room's pictures are served only to its members (PROTOCOL.md, "Upload
// grants"): an `<img>` cannot send a Bearer header, so a short-lived grant
// rides in the URL instead. UploadGrants keeps a room's current grant,
// renews it long before it expires, and is the one place that turns a
// stored `/uploads/…` URL (a board's `meta.image`, a chat attachment's
// `url`) into one that can be fetched.

import { Emitter } from './emitter.js';
import { httpBase, request } from './http.js';

/**
 * How long after receiving a grant a new one is fetched. A grant lives 50 to
 * 60 minutes from when the server made it, so one renewed every half hour
 * always has 20 minutes left, whatever the clocks of client and server say.
 */
export const GRANT_RENEW_MS = 30 * 60 * 1000;
/** After a failed renewal, the next try. */
export const GRANT_RETRY_MS = 60 * 1000;

/** The upload-grant route of a room (the id already URL-encoded). */
export function uploadGrantRoute(room) {
  return `/api/rooms/${room}/upload-grant`;
}

/**
 * `url` as the server at `base` serves it to a holder of `grant`: a stored
 * `/uploads/…` path becomes an absolute URL carrying the grant; any other URL
 * (a `blob:` preview, another site's picture) is returned as it is.
 */
export function grantedUploadUrl(base, url, grant) {
  if (typeof url !== 'string' || !url.startsWith('/uploads/')) return url;
  const path = url.split('?')[0];
  return grant ? `${httpBase(base)}${path}?grant=${encodeURIComponent(grant)}` : `${httpBase(base)}${path}`;
}

/**
 * The current grant of one room. `fetchGrant` asks the server for a fresh
 * one (resolves `{ grant, expiresAt }`). Emits `change` with the new grant
 * whenever it changes, so pictures not yet loaded can be asked for again.
 */
export class UploadGrants extends Emitter {
  #base;
  #fetchGrant;
  #grant = null;
  #timer = null;
  #closed = false;

  constructor(base, fetchGrant) {
    super();
    this.#base = base;
    this.#fetchGrant = fetchGrant;
  }

  /** The current `{ grant, expiresAt }`, or null before the first. */
  get current() {
    return this.#grant;
  }

  /** Takes a grant the server sent (in a welcome, or fetched), and schedules its renewal. */
  set(grant) {
    if (this.#closed || !grant?.grant) return;
    const changed = this.#grant?.grant !== grant.grant;
    this.#grant = { grant: grant.grant, expiresAt: grant.expiresAt };
    this.#schedule(GRANT_RENEW_MS);
    if (changed) this.emit('change', this.#grant);
  }

  /** Fetches a fresh grant now; rejects if the server refuses. */
  async renew() {
    const grant = await this.#fetchGrant();
    this.set(grant);
    return this.#grant;
  }

  /** `url` (a stored `/uploads/…` URL) with the current grant; see `grantedUploadUrl`. */
  url(url) {
    return grantedUploadUrl(this.#base, url, this.#grant?.grant);
  }

  /** Stops renewing. */
  close() {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(ms) {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      // A failed renewal is tried again; the current grant still works for a while.
      this.renew().catch(() => {
        if (!this.#closed) this.#schedule(GRANT_RETRY_MS);
      });
    }, ms);
    // Renewing must not keep a Node process alive by itself.
    this.#timer.unref?.();
  }
}

/**
 * The grants of room `roomId` for the holder of `token`, without a room
 * channel (the report after a class, say). Resolves once the first grant is
 * in; `close()` it when done.
 */
export async function openUploadGrants(url, { roomId, token, timeoutMs, fetch } = {}) {
  const route = uploadGrantRoute(encodeURIComponent(roomId));
  const grants = new UploadGrants(url, () => request(url, 'GET', route, { token, timeoutMs, fetch }));
  await grants.renew();
  return grants;
}
