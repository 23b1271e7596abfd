// A real `jigsync` process for tests: started on a free loopback port with a
// fresh data dir, stopped and started again on the same port (as an operator
// restart looks to clients), and removed afterwards. Plain Node, no packages,
// so the classroom app's browser tests use it too.

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The binary under test: JIGSYNC_BIN, else the workspace's debug build. */
export function jigsyncBin() {
  return process.env.JIGSYNC_BIN
    ? path.resolve(process.env.JIGSYNC_BIN)
    : path.resolve(REPO_DIR, 'target', 'debug', 'jigsync');
}

/**
 * Spawns one `jigsync` process and resolves once it has logged the address
 * it listens on: { child, exited, port, log() }.
 */
async function spawnJigsync({ dataDir, port, startTimeoutMs, args }) {
  const bin = jigsyncBin();
  const child = spawn(bin, ['--addr', `127.0.0.1:${port}`, '--data-dir', dataDir, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });

  let log = '';
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let spawnError = null;
  child.once('error', (err) => {
    spawnError = err;
  });

  const boundPort = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`jigsync did not log its address within ${startTimeoutMs} ms; log:\n${log}`));
    }, startTimeoutMs);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      log += chunk;
      // Keep the tail only: the log is for failure messages, not for storage.
      if (log.length > 200_000) log = log.slice(-100_000);
      // eslint-disable-next-line no-control-regex
      const match = /addr=127\.0\.0\.1:(\d+)/.exec(log.replace(/\x1b\[[0-9;]*m/g, ''));
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      const why = spawnError ? spawnError.message : `exit code ${code}, signal ${signal}`;
      reject(new Error(`jigsync (${bin}) stopped before listening (${why}); log:\n${log}`));
    });
  }).catch((err) => {
    child.kill('SIGKILL');
    throw err;
  });
  return { child, exited, port: boundPort, log: () => log };
}

async function stopJigsync({ child, exited }) {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * Starts `jigsync --addr 127.0.0.1:0 --data-dir <fresh temp dir> ...args` and
 * resolves once it has logged the address it listens on. `stopProcess` and
 * `startProcess` (or `restart`) stop the process and start a new one on the
 * same port and data dir, as an operator restarting the server would.
 */
export async function startServer({ startTimeoutMs = 10_000, args = [] } = {}) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'jigsync-test-'));
  let proc;
  try {
    proc = await spawnJigsync({ dataDir, port: 0, startTimeoutMs, args });
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  const port = proc.port;
  let earlierLogs = '';

  return {
    port,
    dataDir,
    http: `http://127.0.0.1:${port}`,
    ws: `ws://127.0.0.1:${port}`,
    logTail: (chars = 4000) => (earlierLogs + (proc ? proc.log() : '')).slice(-chars),
    /** Stops the process (SIGTERM: sockets close with 1001), keeping the data dir. */
    async stopProcess() {
      if (!proc) return;
      const stopping = proc;
      proc = null;
      await stopJigsync(stopping);
      earlierLogs += stopping.log() + '\n--- jigsync stopped ---\n';
    },
    /** Starts a new process on the same port and data dir. */
    async startProcess() {
      if (proc) throw new Error('jigsync is already running');
      // The port was just released; allow a few tries in case it lingers.
      for (let attempt = 0; ; attempt++) {
        try {
          proc = await spawnJigsync({ dataDir, port, startTimeoutMs, args });
          return;
        } catch (err) {
          if (attempt >= 4) throw err;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    },
    async restart() {
      await this.stopProcess();
      await this.startProcess();
    },
    async stop() {
      if (proc) await stopJigsync(proc);
      proc = null;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

