// The real `jigsync` server for the browser tests: one process on a free
// port, a fresh data dir, and the built classroom app (dist/) served at `/`.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** examples/classroom */
export const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const REPO_DIR = path.resolve(APP_DIR, '..', '..');
export const DIST_DIR = path.join(APP_DIR, 'dist');

function jigsyncBin() {
  return process.env.JIGSYNC_BIN
    ? path.resolve(process.env.JIGSYNC_BIN)
    : path.join(REPO_DIR, 'target', 'debug', 'jigsync');
}

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

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * Spawns one `jigsync` process on `port` (0: a free one) and resolves once it
 * logged its address: { child, exited, port, log() }.
 */
async function spawnJigsync({ dataDir, port, startTimeoutMs }) {
  const bin = jigsyncBin();
  const child = spawn(
    bin,
    ['--addr', `127.0.0.1:${port}`, '--data-dir', dataDir, '--web-dir', DIST_DIR],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );

  let log = '';
  let spawnError = null;
  child.once('error', (err) => {
    spawnError = err;
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    log += chunk.replace(ANSI, '');
    // Only the tail is ever shown (in failure messages).
    if (log.length > 200_000) log = log.slice(-100_000);
  });

  const proc = { child, exited, port: 0, log: () => log };
  try {
    proc.port = await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`jigsync did not log its address within ${startTimeoutMs} ms; log:\n${log}`)),
        startTimeoutMs,
      );
      const onData = () => {
        const match = /addr=127\.0\.0\.1:(\d+)/.exec(log);
        if (match) {
          clearTimeout(timer);
          child.stderr.off('data', onData);
          resolve(Number(match[1]));
        }
      };
      child.stderr.on('data', onData);
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        const why = spawnError ? spawnError.message : `exit code ${code}, signal ${signal}`;
        reject(new Error(`jigsync (${bin}) stopped before listening (${why}); log:\n${log}`));
      });
    });
  } catch (err) {
    await kill(proc);
    throw err;
  }
  return proc;
}

/** SIGTERM (the server's graceful shutdown), then SIGKILL after 5 s. */
async function kill({ child, exited }) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts `jigsync --addr 127.0.0.1:0 --data-dir <tmp> --web-dir dist` and
 * resolves once it logged its address: { url, port, logTail(), restart(), stop() }.
 * `restart()` stops the process and starts a new one on the same port and
 * data dir, the way a deploy or a crash looks to the pages.
 */
export async function startServer({ startTimeoutMs = 10_000 } = {}) {
  checkPrerequisites();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'jigsync-e2e-'));
  let logs = '';
  let proc;
  try {
    proc = await spawnJigsync({ dataDir, port: 0, startTimeoutMs });
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  const port = proc.port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    logTail: (chars = 4000) => (logs + proc.log()).slice(-chars),
    /** Stops the server; resolves once it has exited. Call `start()` to bring it back. */
    async pause() {
      await kill(proc);
      logs += proc.log();
    },
    async start() {
      proc = await spawnJigsync({ dataDir, port, startTimeoutMs });
    },
    async stop() {
      await kill(proc);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
