// The y-websocket peer of dragbench (benches/README.md): the reference
// Yjs WebSocket server (@y/websocket-server), set up exactly as its own
// `y-websocket` bin does (one Y.Doc per URL path, in memory, sync and
// awareness relayed to every connection of the document), except that it
// listens on a port given as 0 and prints the port it got.
//
// Listens on HOST (127.0.0.1) and PORT (0 picks a free one). Prints
// `y-websocket-peer listening addr=<host:port>` on stderr once it listens,
// which is what the harness waits for.
//
// Run: `node server.mjs` (after `npm ci` in this folder).

import { createServer } from "node:http";
import { WebSocketServer } from "ws";
import { setupWSConnection } from "@y/websocket-server/utils";

const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? "0");

const wss = new WebSocketServer({ noServer: true });
wss.on("connection", setupWSConnection);

const http = createServer((_req, res) => {
  res.writeHead(200, { "Content-Type": "text/plain" }).end("okay");
});
http.on("upgrade", (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request));
});

http.listen(port, host, () => {
  const { address, port: bound } = http.address();
  console.error(`y-websocket-peer listening addr=${address}:${bound}`);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => process.exit(0));
}
