// Uploaded pictures (a board's picture, a chat GIF) are served only with
// the room's upload grant, which the client renews every so often. An
// element showing one asks for its URL when it is drawn and, should the
// picture fail to load (a grant that expired before a lazy image came into
// view), once more with the current grant.

/**
 * Shows stored picture `stored` (an `/uploads/…` URL) in `el`'s attribute
 * `attr` (`src` of an <img>, `href` of an SVG <image>); `toUrl` turns it into
 * a fetchable URL (`client.uploadUrl`).
 */
export function showPicture(el, attr, stored, toUrl) {
  el.setAttribute(attr, toUrl(stored));
  el.addEventListener('error', () => {
    const fresh = toUrl(stored);
    if (el.getAttribute(attr) !== fresh) el.setAttribute(attr, fresh);
  });
  return el;
}
