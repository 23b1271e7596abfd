// Creating classes through the client library on a server that asks for a
// signup secret: getServerConfig says so, createRoom carries the secret
// once and the teacher pass after, and addTeacher links a co-teacher.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { addTeacher, createRoom, getServerConfig, JigsyncError } from '../src/index.js';
import { startServer } from './support/server.mjs';

test('a secret-signup server: the secret once, then the teacher pass', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'jigsync-signup-'));
  const file = path.join(dir, 'signup.secret');
  await writeFile(file, 'blue-harbour-42\n');
  const server = await startServer({ args: ['--teacher-signup', 'secret', '--teacher-signup-secret-file', file] });
  try {
    const url = server.http;
    assert.deepEqual(await getServerConfig(url), { teacherSignup: 'secret' });
    await assert.rejects(
      createRoom(url, { name: '5B', teacherName: 'Ms Park' }),
      (err) => err instanceof JigsyncError && err.code === 'signup_secret_required' && err.status === 403,
    );
    const first = await createRoom(url, { name: '5B', teacherName: 'Ms Park', signupSecret: 'blue-harbour-42' });
    assert.match(first.teacherPass, /^t1\./);
    const second = await createRoom(url, { name: '5C', teacherName: 'Ms Park', teacherPass: first.teacherPass });
    assert.equal(second.teacherId, first.teacherId);

    const colleague = await createRoom(url, { name: '6A', teacherName: 'Mr Lee', signupSecret: 'blue-harbour-42' });
    const invite = { roomId: first.roomId, teacherToken: first.teacherToken, name: 'Mr Lee', teacherId: colleague.teacherId };
    assert.equal((await addTeacher(url, invite)).name, 'Mr Lee');
    await assert.rejects(addTeacher(url, { ...invite, teacherId: 'x'.repeat(129) }), (err) => err.code === 'invalid');
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
