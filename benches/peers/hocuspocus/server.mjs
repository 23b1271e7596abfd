// The Hocuspocus peer of dragbench (benches/README.md): `@hocuspocus/server`
// in its default configuration, no extensions (documents in memory, no
// authentication hook, no persistence). A Yjs app would reach it through
// HocuspocusProvider: one WebSocket carrying any number of documents, each
// message prefixed by its document's name; drags as awareness updates,
// drops as document updates.
//
// Listens on HOST (127.0.0.1) and PORT (0 picks a free one); `quiet` only
// hides the start banner. Prints `hocuspocus-peer listening
// addr=<host:port>` on stderr once it listens, which is what the harness
// waits for.
//
// Run: `node server.mjs` (after `npm ci` in this folder).

import { Server } from "@hocuspocus/server";

const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? "0");

const server = new Server({ address: host, port, quiet: true });
await server.listen();
console.error(`hocuspocus-peer listening addr=${host}:${server.address.port}`);
