// Which WebSocket to use: the platform's (browsers, Node 22+), else the `ws`
// package (Node 20). `ws` is imported only when needed, so browser bundles
// never execute it.

let fallback = null;

/** @returns {Promise<typeof WebSocket>} */
export async function resolveWebSocket(override) {
  if (override) return override;
  if (typeof globalThis.WebSocket === 'function') return globalThis.WebSocket;
  fallback ??= import('ws').then((mod) => mod.WebSocket ?? mod.default);
  return fallback;
}
