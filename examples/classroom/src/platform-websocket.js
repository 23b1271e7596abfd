// Stands in for the `ws` package in the browser build: the client library
// only imports `ws` where the platform has no WebSocket, which never happens
// in a browser, so this re-exports the platform's own.
export const WebSocket = globalThis.WebSocket;
export default WebSocket;
