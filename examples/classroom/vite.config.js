// Builds the classroom app into dist/, which the server serves at `/`.
//
// The client library is used from its source in ../../client-js, not as an
// npm package, so the app always runs the client this repository tests. Its
// two runtime dependencies are this app's own, deduplicated so the board
// replicas and the app share one copy of Yjs.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      'jigsync-client': here('../../client-js/src/index.js'),
      // Browsers have a WebSocket; the client only falls back to `ws` on Node 20.
      ws: here('src/platform-websocket.js'),
    },
    dedupe: ['yjs', '@msgpack/msgpack'],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1024,
  },
  server: {
    // `npm run dev` against a server started with `make run`.
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/uploads': 'http://127.0.0.1:8080',
      '/ws': { target: 'ws://127.0.0.1:8080', ws: true },
    },
  },
});
