// The Socket.IO 4.8 peer of dragbench (benches/README.md): the same
// classroom drag semantics, written the way a Socket.IO app usually is.
//
// - A client names its room and role in the handshake: the `auth` object
//   of the namespace connect (`{ room, role }`), or the query string
//   (`?room=&role=`) as a fallback.
// - Every client joins the Socket.IO room `<room>`; a teacher also joins
//   `<room>:teacher`.
// - A student's `mv` event (`[board, piece, x, y, seq, t]`) and `drop`
//   event (`[board, update, piece]`) are relayed as they are to the room's
//   teacher(s) with `socket.to(<room>:teacher).emit(...)`: one Socket.IO
//   packet per move, no batching (Socket.IO has none to offer). A drop
//   with an acknowledgement callback is acknowledged once relayed.
// - With `--coalesce-ms N` (or COALESCE_MS), positions are not relayed one
//   by one: each room keeps the latest position of every piece for its
//   teachers and flushes them every N ms as one `mvs` event (a list of `mv`
//   payloads), as Jigsync does with 33 ms. A drop discards its piece's
//   pending position and is relayed at once, as in Jigsync.
// - The msgpack parser (socket.io-msgpack-parser) on the wire, WebSocket
//   transport only, per-message deflate off (Socket.IO's default).
//
// Listens on 127.0.0.1 (HOST) and PORT, or `--host`/`--port`; port 0 picks
// a free one. Prints `socketio-peer listening addr=<host:port>` on stderr
// once it listens, which is what the harness waits for.
//
// Run: `node server.mjs --port 0` (after `npm ci` in this folder).

import { createServer } from "node:http";
import { Server } from "socket.io";
import msgpackParser from "socket.io-msgpack-parser";

function option(name, env, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  if (at >= 0 && at + 1 < process.argv.length) return process.argv[at + 1];
  return process.env[env] ?? fallback;
}

const host = option("host", "HOST", "127.0.0.1");
const port = Number(option("port", "PORT", "0"));
const coalesceMs = Number(option("coalesce-ms", "COALESCE_MS", "0"));

const http = createServer((_req, res) => {
  res.writeHead(404).end();
});
const io = new Server(http, {
  parser: msgpackParser,
  transports: ["websocket"],
  serveClient: false,
  perMessageDeflate: false,
});

// Per teachers' room, while coalescing: "board:piece" -> latest `mv` payload.
const pending = new Map();

function queueMove(teachers, move) {
  let positions = pending.get(teachers);
  if (!positions) {
    positions = new Map();
    pending.set(teachers, positions);
  }
  positions.set(`${move[0]}:${move[1]}`, move);
}

if (coalesceMs > 0) {
  setInterval(() => {
    for (const [teachers, positions] of pending) {
      if (positions.size > 0) io.to(teachers).emit("mvs", [...positions.values()]);
    }
    pending.clear();
  }, coalesceMs);
}

io.on("connection", (socket) => {
  const { auth, query } = socket.handshake;
  const room = String(auth?.room ?? query?.room ?? "");
  const role = String(auth?.role ?? query?.role ?? "student");
  if (!room) {
    socket.disconnect(true);
    return;
  }
  const teachers = `${room}:teacher`;
  socket.join(room);
  if (role === "teacher") {
    socket.join(teachers);
    return;
  }
  socket.on("mv", (move) => {
    if (coalesceMs > 0) queueMove(teachers, move);
    else socket.to(teachers).emit("mv", move);
  });
  socket.on("drop", (drop, ack) => {
    if (coalesceMs > 0) pending.get(teachers)?.delete(`${drop[0]}:${drop[2]}`);
    socket.to(teachers).emit("drop", drop);
    if (typeof ack === "function") ack(true);
  });
});

http.listen(port, host, () => {
  const { address, port: bound } = http.address();
  console.error(`socketio-peer listening addr=${address}:${bound}`);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    io.close();
    process.exit(0);
  });
}
