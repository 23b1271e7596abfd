// The real `jigsync` server for the browser tests: the process helper the
// client library's tests use (client-js/test/support/jigsync-process.mjs),
// serving the built classroom app (dist/) at `/`; or a whole cluster
// (client-js/test/support/cluster.mjs: examples/cluster/run.sh) whose nodes
// all serve it.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { jigsyncBin, startServer as startJigsync } from '../../../../client-js/test/support/jigsync-process.mjs';
import { startCluster as startJigsyncCluster } from '../../../../client-js/test/support/cluster.mjs';

export { connectionGauges, leaseTakers } from '../../../../client-js/test/support/cluster.mjs';

/** examples/classroom */
export const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const REPO_DIR = path.resolve(APP_DIR, '..', '..');
export const DIST_DIR = path.join(APP_DIR, 'dist');

/** Fails early, with the fix in the message, when a prerequisite is missing. */
export function checkPrerequisites() {
  if (!existsSync(path.join(DIST_DIR, 'index.html'))) {
    throw new Error(
      `${path.join(DIST_DIR, 'index.html')} is missing: build the app first (cd examples/classroom && npx vite build)`,
    );
  }
  const bin = jigsyncBin();
  if (!existsSync(bin)) {
    throw new Error(
      `jigsync binary ${bin} is missing: run \`cargo build -p jigsync-server --bin jigsync\` in ${REPO_DIR} or set JIGSYNC_BIN`,
    );
  }
}

/**
 * Starts jigsync on a free port with a fresh data dir and the app (and
 * `options.args`, more flags):
 * { url, port, logTail(), stopProcess(), startProcess(), stop() }.
 */
export async function startServer(options = {}) {
  checkPrerequisites();
  const server = await startJigsync({ ...options, args: ['--web-dir', DIST_DIR, ...(options.args ?? [])] });
  return Object.assign(server, { url: server.http });
}

/**
 * Starts examples/cluster/run.sh (Postgres, nodes n1..n3, HAProxy) with every
 * node serving the app: { lb, nodes: [url, ...], logTail(), stop(), ... }.
 */
export async function startCluster(options = {}) {
  checkPrerequisites();
  return startJigsyncCluster({ ...options, webDir: DIST_DIR });
}
