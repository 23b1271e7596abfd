// The deployment guide (docs/DEPLOYMENT.md) exercised: Debian's nginx with
// the guide's site (docs/deploy/nginx-jigsync.conf) and a self-signed
// certificate in front of a real jigsync. A teacher and a student create and
// join a class and chat over wss:// through the proxy; plain HTTP redirects
// to HTTPS; the proxy's access log holds no token. Then `jigsync backup`
// runs while the student keeps chatting, the server is stopped, the backup
// moved into place as its data dir (the guide's restore), and the restored
// server, behind the same proxy, has the class, its messages up to the
// backup, its upload, and accepts the teacher's token.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

import { createRoom, joinRoom } from '../src/index.js';
import { openClient } from './support/classroom.mjs';
import { startNginx, tlsFetch, tlsWebSocket } from './support/nginx.mjs';
import { Cleanup, buildPng, jigsyncBin, startServer, uploadPicture } from './support/server.mjs';

const run = promisify(execFile);

/** The answer to a plain-HTTP GET: { status, location }. */
function plainGet(url) {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      res.resume();
      resolve({ status: res.statusCode, location: res.headers.location });
    }).on('error', reject);
  });
}

test('through nginx with TLS: a class and its chat; a backup taken while running, restored', { timeout: 120_000 }, async (t) => {
  const server = await startServer({ args: ['--trusted-proxy', '127.0.0.1/32'] });
  const cleanup = new Cleanup();
  let proxy;
  const scratch = await mkdtemp(path.join(tmpdir(), 'jigsync-deploy-'));
  try {
    proxy = await startNginx(`127.0.0.1:${server.port}`);
    const options = { fetch: tlsFetch(proxy.ca), WebSocket: tlsWebSocket(proxy.ca) };
    const front = { http: proxy.httpsUrl };

    const room = await createRoom(proxy.httpsUrl, { name: '5B Maths', teacherName: 'Ms Park' }, options);
    const ann = await joinRoom(proxy.httpsUrl, { joinCode: room.joinCode, name: 'Ann' }, options);
    const teacher = await openClient(front, room.teacherToken, cleanup, options);
    const student = await openClient(front, ann.token, cleanup, options);
    const hello = await student.chat('hello through TLS');
    await teacher.events.waitFor('message', (m) => m.seq === hello.seq && m.text === 'hello through TLS');

    const redirect = await plainGet(`${proxy.httpUrl}/?code=${room.joinCode}`);
    assert.equal(redirect.status, 301);
    assert.equal(redirect.location, `${proxy.httpsUrl}/?code=${room.joinCode}`);

    // A picture, so the backup has an upload to carry.
    const png = buildPng(5, 4);
    const picture = await uploadPicture(server, room.roomId, room.teacherToken, png);
    assert.equal(picture.uploadId, createHash('sha256').update(png).digest('hex'));

    // The backup, while the student keeps writing.
    const backupDir = path.join(scratch, 'backup');
    let writing = true;
    // Paced under the per-user chat budget (2 a second): a backup slowed by
    // a busy machine must not run the student into the rate limit.
    const chatter = (async () => {
      for (let i = 0; writing; i++) {
        await student.chat(`during the backup ${i}`);
        await new Promise((resolve) => setTimeout(resolve, 600));
      }
    })();
    await run(jigsyncBin(), ['--data-dir', server.dataDir, 'backup', backupDir]);
    writing = false;
    await chatter;
    await student.chat('after the backup');
    const refused = await run(jigsyncBin(), ['--data-dir', server.dataDir, 'backup', backupDir]).catch((err) => err);
    assert.ok(refused instanceof Error, 'a backup into an existing directory must fail');

    // Restore: stop, move the backup into place, start.
    await server.stopProcess();
    await rm(server.dataDir, { recursive: true, force: true });
    await rename(backupDir, server.dataDir);
    await server.startProcess();

    const restored = await openClient(front, room.teacherToken, cleanup, options);
    const texts = (await restored.history({ limit: 200 })).messages.map((m) => m.text);
    assert.ok(texts.includes('hello through TLS'), `restored history: ${texts.join(' | ')}`);
    assert.ok(!texts.includes('after the backup'), 'a message sent after the backup came back');
    t.diagnostic(`messages sent during the backup that it kept: ${texts.filter((x) => x.startsWith('during')).length}`);
    assert.ok(existsSync(path.join(server.dataDir, 'uploads', picture.uploadId)), 'the upload was not restored');
    const bo = await joinRoom(proxy.httpsUrl, { joinCode: room.joinCode, name: 'Bo' }, options);
    assert.equal(bo.roomId, room.roomId);

    // nginx logs a WebSocket when it ends: close them all, then read the log.
    await cleanup.run();
    let access = '';
    for (let tries = 0; !/"GET \/ws HTTP\/1\.1" 101 /.test(access); tries++) {
      assert.ok(tries < 100, `no WebSocket line in the proxy access log:\n${access}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      access = await proxy.accessLog();
    }
    for (const token of [room.teacherToken, ann.token, bo.token]) {
      assert.ok(!access.includes(token), 'a token is in the proxy access log');
    }
    assert.ok(!access.includes('token='), 'a query string is in the proxy access log');
  } catch (err) {
    t.diagnostic(`server log tail:\n${server.logTail()}`);
    throw err;
  } finally {
    await cleanup.run();
    await proxy?.stop();
    await server.stop();
    await rm(scratch, { recursive: true, force: true });
  }
});
