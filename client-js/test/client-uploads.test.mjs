// Pictures through the client library against the real server: a board's
// picture is fetched with the room's upload grant (from the welcome, or
// renewed over HTTP), never with the bare stored URL, and not with another
// room's grant.

import assert from 'node:assert/strict';

import { grantedUploadUrl, openUploadGrants } from '../src/index.js';
import { boardReady, classroom, openClient } from './support/classroom.mjs';
import { WAIT_MS, serverTest } from './support/server.mjs';

const get = (url) => fetch(url, { signal: AbortSignal.timeout(WAIT_MS) });

async function refusal(res) {
  return { status: res.status, code: (await res.json()).error?.code };
}

serverTest('a board picture is fetched with the room grant, and only by the room', async ({ server, cleanup }) => {
  const { room, puzzle, students: [ann] } = await classroom(server, cleanup, { students: ['Ann'], mode: 'shared' });
  const student = await openClient(server, ann.token, cleanup);
  const welcome = student.events.of('welcome')[0];
  assert.equal(student.uploads.current.grant, welcome.uploadGrant.grant, 'the welcome brings the grant');
  assert.ok(welcome.uploadGrant.expiresAt > Date.now() + 40 * 60 * 1000, 'it lives for most of an hour');

  const stored = (await boardReady(student, puzzle.boards[0].boardId)).meta.image;
  assert.match(stored, /^\/uploads\/[0-9a-f]{64}\.png$/);
  const url = student.uploadUrl(stored);
  assert.equal(url, `${server.http}${stored}?grant=${encodeURIComponent(welcome.uploadGrant.grant)}`);
  const res = await get(url);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'image/png');
  assert.match(res.headers.get('cache-control'), /^private, max-age=\d+$/);
  assert.ok((await res.arrayBuffer()).byteLength > 0);

  // The stored URL alone, or another room's grant, fetch nothing.
  assert.deepEqual(await refusal(await get(server.http + stored)), { status: 401, code: 'unauthorized' });
  const other = await classroom(server, cleanup);
  assert.deepEqual(await refusal(await get(other.teacher.uploadUrl(stored))), { status: 404, code: 'not_found' });

  // Renewed over HTTP; and without a room channel (the report after class).
  await student.uploads.renew();
  assert.equal((await get(student.uploadUrl(stored))).status, 200);
  const grants = await openUploadGrants(server.http, { roomId: room.roomId, token: ann.token });
  cleanup.add(() => grants.close());
  assert.equal((await get(grants.url(stored))).status, 200);

  // Only stored upload paths get a grant.
  assert.equal(student.uploadUrl('blob:http://localhost/123'), 'blob:http://localhost/123');
  assert.equal(grantedUploadUrl('ws://h:1', '/uploads/a.png', null), 'http://h:1/uploads/a.png');
});
