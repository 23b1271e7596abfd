// A whole Jigsync cluster for a test: examples/cluster/run.sh (a throwaway
// Postgres, nodes n1..n3 and HAProxy in front, all in one temp dir) started
// in its own process group and stopped with SIGTERM, which makes it stop
// everything and delete its temp dir. Plain Node, no packages, so the
// classroom app's browser tests use it too.
//
// run.sh writes to a log file, not to pipes: if this process dies, run.sh
// must still be able to print while it cleans up (a write to a pipe nobody
// reads would kill it with SIGPIPE, leaving Postgres running).

import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { jigsyncBin } from './jigsync-process.mjs';

const REPO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const RUN_SH = path.join(REPO_DIR, 'examples', 'cluster', 'run.sh');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A loopback port nothing listens on right now (another process may take it before HAProxy does). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Whether a process with this pid exists. */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // the group is gone already
  }
}

/** The last `chars` characters (roughly: bytes) of a file, '' if it is gone. */
function readTail(file, chars) {
  let fd;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const length = Number.isFinite(chars) ? Math.min(size, chars) : size;
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * What run.sh prints once the cluster is up:
 *
 *   Teacher, open:  http://127.0.0.1:8080/
 *   node n1:  http://127.0.0.1:41883  pid 13378
 *   haproxy:  pid 13390
 *   postgres: postgres://postgres@127.0.0.1:5433/jigsync  pid 13360
 *   temp dir: /tmp/jigsync-cluster.XXXXXX
 *   ...
 *   Ctrl-C stops everything and deletes the temp dir.
 *
 * Null until the last of those lines has arrived. (The processes' own lines
 * start with [n1], [lb], ... or "cluster:", so they never match.)
 */
function parseReady(output) {
  if (!/^\s*Ctrl-C stops everything/m.test(output)) return null;
  const lb = /^\s*Teacher, open:\s+(http:\/\/\S+?)\/?\s*$/m.exec(output);
  const nodes = [...output.matchAll(/^\s*node (n\d+):\s+(http:\/\/\S+)\s+pid (\d+)\s*$/gm)].map((m) => ({
    id: m[1],
    url: m[2].replace(/\/$/, ''),
    pid: Number(m[3]),
  }));
  const haproxy = /^\s*haproxy:\s+pid (\d+)/m.exec(output);
  const postgres = /^\s*postgres:\s+(\S+)\s+pid (\d+)/m.exec(output);
  const tempDir = /^\s*temp dir:\s+(\S+)\s*$/m.exec(output);
  if (!lb || nodes.length === 0) {
    throw new Error('run.sh said it was up, but its URLs could not be read from its output');
  }
  return {
    lb: lb[1],
    nodes,
    haproxyPid: haproxy ? Number(haproxy[1]) : null,
    databaseUrl: postgres ? postgres[1] : null,
    postgresPid: postgres ? Number(postgres[2]) : null,
    tempDir: tempDir ? tempDir[1] : null,
  };
}

// What to do at once if this process ends while clusters run: send each
// SIGTERM (outside its process group, run.sh gets no Ctrl-C from the
// terminal; on TERM it stops its processes and deletes its temp dir itself)
// and delete our own files. Run when this process exits, or is told to by
// SIGINT/SIGTERM.
const running = new Set();

function stopAll() {
  for (const stopNow of running) {
    try {
      stopNow();
    } catch {
      // best effort: the others still get their turn
    }
  }
}

function onSignal(signal) {
  stopAll();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  // Die of the signal as if nobody had caught it.
  process.kill(process.pid, signal);
}

function watchForExit(stopNow) {
  if (running.size === 0) {
    process.on('exit', stopAll);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  running.add(stopNow);
}

function unwatchForExit(stopNow) {
  running.delete(stopNow);
  if (running.size === 0) {
    process.off('exit', stopAll);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * One run of run.sh, its output in `logFile`; resolves once it printed its
 * URLs, or rejects (having stopped it).
 */
async function launch({ webDir, lbPort, logFile, startTimeoutMs, stopTimeoutMs, env }) {
  const out = openSync(logFile, 'w');
  let child;
  try {
    child = spawn('bash', [RUN_SH], {
      cwd: REPO_DIR,
      // Its own process group: stop() signals the script and everything it started.
      detached: true,
      stdio: ['ignore', out, out],
      env: {
        ...process.env,
        NO_COLOR: '1',
        JIGSYNC_BIN: jigsyncBin(),
        JIGSYNC_WEB_DIR: webDir,
        JIGSYNC_LB_ADDR: `127.0.0.1:${lbPort}`,
        JIGSYNC_LOG: process.env.JIGSYNC_LOG ?? 'info',
        ...env,
      },
    });
  } finally {
    closeSync(out); // the child has its own copy
  }
  const note = (text) => {
    try {
      appendFileSync(logFile, `\n--- cluster.mjs: ${text} ---\n`);
    } catch {
      // the log is for diagnostics only
    }
  };

  let spawnError = null;
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (err) => {
      spawnError = err;
      if (child.pid === undefined) resolve({ code: null, signal: null });
    });
  });
  const isRunning = () => child.exitCode === null && child.signalCode === null && child.pid !== undefined;

  // If this process goes away without stop() (an interrupted test run), the
  // cluster must not outlive it: TERM makes run.sh clean up on its own.
  const stopNow = () => {
    if (isRunning()) signalGroup(child.pid, 'SIGTERM');
  };
  watchForExit(stopNow);

  let info = null;
  let stopping = null;
  const stop = () => {
    stopping ??= (async () => {
      if (isRunning()) {
        signalGroup(child.pid, 'SIGTERM');
        let timer;
        const inTime = await Promise.race([
          exited.then(() => true),
          new Promise((resolve) => {
            timer = setTimeout(() => resolve(false), stopTimeoutMs);
          }),
        ]);
        clearTimeout(timer);
        if (!inTime) {
          note(`run.sh did not stop within ${stopTimeoutMs} ms; killing its process group`);
          signalGroup(child.pid, 'SIGKILL');
          await exited;
          // Postgres runs in a session of its own (pg_ctl), out of the group's
          // reach: SIGQUIT is its immediate shutdown. Then run.sh's temp dir.
          const tempDir = info?.tempDir ?? /initdb in (\S*jigsync-cluster\.[^/\s]+)\/postgres/.exec(readTail(logFile, Infinity))?.[1];
          if (tempDir?.includes('jigsync-cluster.')) {
            let postgresPid = 0;
            try {
              postgresPid = Number(readFileSync(path.join(tempDir, 'postgres', 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
            } catch {
              // no Postgres started (or it is gone)
            }
            if (postgresPid > 0 && alive(postgresPid)) {
              try {
                process.kill(postgresPid, 'SIGQUIT');
              } catch {
                // gone meanwhile
              }
              for (let i = 0; i < 50 && alive(postgresPid); i++) await sleep(100);
            }
            rmSync(tempDir, { recursive: true, force: true });
          }
        }
      }
      unwatchForExit(stopNow);
      return exited;
    })();
    return stopping;
  };

  try {
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      if (spawnError) throw new Error(`cannot run bash ${RUN_SH}: ${spawnError.message}`);
      // Read before looking at the exit, so the last words count.
      const stopped = !isRunning();
      info = parseReady(readTail(logFile, Infinity));
      if (info) break;
      if (stopped) {
        const { code, signal } = await exited;
        throw new Error(`run.sh stopped before the cluster was up (exit code ${code}, signal ${signal})`);
      }
      if (Date.now() > deadline) throw new Error(`the cluster did not come up within ${startTimeoutMs} ms`);
      await sleep(100);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { ...info, stop };
}

/**
 * Starts examples/cluster/run.sh with HAProxy on a free loopback port and
 * resolves once it printed its URLs:
 *
 *   { lb: 'http://127.0.0.1:PORT', nodes: ['http://127.0.0.1:P1', ...],
 *     nodeIds: ['n1', ...], nodePids: [...], databaseUrl, tempDir,
 *     logTail(chars), stop() }
 *
 * `webDir` is what every node serves at `/` (JIGSYNC_WEB_DIR); without one, a
 * stub index.html (run.sh insists on one). `stop()` sends SIGTERM to run.sh's
 * process group and resolves once it exited (SIGKILL after `stopTimeoutMs`,
 * then Postgres and the temp dir by hand); calling it again is harmless. The
 * output of run.sh and of every process, prefixed [n1] ... [lb], is kept for
 * `logTail()`.
 */
export async function startCluster({ webDir, startTimeoutMs = 90_000, stopTimeoutMs = 45_000, env = {} } = {}) {
  if (!existsSync(jigsyncBin())) {
    throw new Error(`jigsync binary ${jigsyncBin()} is missing: run \`cargo build -p jigsync-server --bin jigsync\` or set JIGSYNC_BIN`);
  }
  // Ours: the log files, and the stub web app when none is given.
  const ownDir = await mkdtemp(path.join(tmpdir(), 'jigsync-cluster-test-'));
  const removeOwnDir = () => rmSync(ownDir, { recursive: true, force: true });
  // Even when this process exits without stop(): nothing of ours is left.
  watchForExit(removeOwnDir);
  if (!webDir) {
    webDir = path.join(ownDir, 'web');
    await mkdir(webDir);
    await writeFile(path.join(webDir, 'index.html'), '<!doctype html><title>Jigsync test</title>\n');
  }

  let run;
  let logFile;
  let earlierLogs = '';
  // HAProxy may lose its port to another process between our probe and its
  // bind: then try again on another one.
  for (let attempt = 1; ; attempt++) {
    const lbPort = await freePort();
    logFile = path.join(ownDir, `run-${attempt}.log`);
    try {
      run = await launch({ webDir: path.resolve(webDir), lbPort, logFile, startTimeoutMs, stopTimeoutMs, env });
      break;
    } catch (err) {
      const log = readTail(logFile, Infinity);
      earlierLogs += log;
      const portTaken = /cannot bind|Address already in use|address in use/i.test(log);
      if (!portTaken || attempt >= 3) {
        err.message += `; run.sh output (tail):\n${log.slice(-6000)}`;
        unwatchForExit(removeOwnDir);
        await rm(ownDir, { recursive: true, force: true });
        throw err;
      }
    }
  }

  let finalLog = null;
  const logTail = (chars = 6000) => {
    const log = finalLog ?? earlierLogs + readTail(logFile, Number.isFinite(chars) ? chars : Infinity);
    return log.slice(-chars);
  };
  return {
    lb: run.lb,
    nodes: run.nodes.map((n) => n.url),
    nodeIds: run.nodes.map((n) => n.id),
    nodePids: run.nodes.map((n) => n.pid),
    haproxyPid: run.haproxyPid,
    postgresPid: run.postgresPid,
    databaseUrl: run.databaseUrl,
    tempDir: run.tempDir,
    webDir,
    /** The last `chars` characters of everything run.sh and its processes printed. */
    logTail,
    async stop() {
      await run.stop();
      if (finalLog === null) {
        // Keep the last of the log for failure messages after the files are gone.
        finalLog = earlierLogs + readTail(logFile, 400_000);
        unwatchForExit(removeOwnDir);
        await rm(ownDir, { recursive: true, force: true });
      }
    },
  };
}

/** A `server` object as test/support/server.mjs's helpers take it, for a node or the LB URL. */
export function serverAt(httpUrl) {
  const http = httpUrl.replace(/\/$/, '');
  return { http, ws: http.replace(/^http/, 'ws') };
}

/**
 * The nodes ("n1", ...) whose log says they took a room's lease, in order,
 * from a cluster's `logTail()`; only lines naming `roomId` when given.
 */
export function leaseTakers(log, roomId = null) {
  // eslint-disable-next-line no-control-regex
  const plain = log.replace(/\x1b\[[0-9;]*m/g, '');
  return [...plain.matchAll(/^\[(n\d+)\] .*took the room's lease.*$/gm)]
    .filter((m) => roomId === null || m[0].includes(roomId))
    .map((m) => m[1]);
}

/**
 * A node's open WebSockets by channel ({ room, yjs, lobby, forwarded }), from
 * its /metrics; null when it has no such gauges.
 */
export async function connectionGauges(nodeUrl) {
  const res = await fetch(`${nodeUrl.replace(/\/$/, '')}/metrics`, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  const gauges = {};
  for (const m of text.matchAll(/^jigsync_connections\{channel="(\w+)"\}\s+(\S+)$/gm)) gauges[m[1]] = Number(m[2]);
  return Object.keys(gauges).length > 0 ? gauges : null;
}
