// jigsync-client: the JavaScript client library for Jigsync (browsers and
// Node 20+). See README.md for examples and the API reference, and
// ../schema/PROTOCOL.md for the wire protocol underneath.

export { connect, JigsyncClient, DEFAULTS, RECONNECT_DEFAULTS } from './client.js';
export { Board, REMOTE_ORIGIN, DropOrigin } from './board.js';
export { createRoom, joinRoom, addTeacher, fetchReport, deleteRoom, getServerConfig } from './http.js';
export { JigsyncError, CLIENT_ERROR_CODES } from './errors.js';
export { createMoveThrottle } from './move-throttle.js';
export { loadReplay, decodeHistory, Replay, REPLAY_ORIGIN } from './replay.js';
export { UploadGrants, openUploadGrants, grantedUploadUrl, GRANT_RENEW_MS } from './upload-grant.js';
export { snapDrop, progress, edgeShape, piecePath } from './puzzle/index.js';
export { encodeClientMsg, decodeServerMsg, decodeLobbyMsg, CodecError } from './codec.js';
