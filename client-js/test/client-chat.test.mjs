// The client library against the real server: chat, uploads, whispers,
// membership and errors. Each test starts its own server on port 0.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { connect, JigsyncError, joinRoom } from '../src/index.js';
import { TINY_GIF, classroom, eventually, openClient, withTimeout } from './support/classroom.mjs';
import { WAIT_MS, serverTest } from './support/server.mjs';

serverTest('chat round trip: two clients see the message once, with the seq of the ack', async ({ server, cleanup }) => {
  const { room, teacher, students: [ann] } = await classroom(server, cleanup, { students: ['Ann'] });
  const student = await openClient(server, ann.token, cleanup);
  assert.equal(student.me.name, 'Ann');
  assert.equal(student.roomId, room.roomId);
  assert.deepEqual(student.participants.map((p) => p.name), ['Ms Park', 'Ann']);
  await teacher.events.waitFor('presence', (p) => p.event === 'online' && p.participant.id === ann.userId);

  const { seq } = await student.chat('  hello class  ');
  assert.ok(Number.isInteger(seq) && seq > 0, `ack seq ${seq}`);
  for (const client of [teacher, student]) {
    const message = await client.events.waitFor('message', (m) => m.seq === seq);
    assert.equal(message.kind, 'chat');
    assert.equal(message.from, ann.userId);
    assert.equal(message.to, null);
    assert.equal(message.text, 'hello class');
    assert.equal(message.upload, null);
  }
  const reply = await teacher.chat('hi Ann');
  await student.events.waitFor('message', (m) => m.seq === reply.seq && m.text === 'hi Ann');

  // Each message once, in seq order.
  for (const client of [teacher, student]) {
    const seqs = client.events.of('message').map((m) => m.seq);
    assert.deepEqual(seqs, [...new Set(seqs)].sort((a, b) => a - b), `${client.me.name}'s messages: ${seqs}`);
  }

  const page = await student.history({ before: reply.seq + 1, limit: 2 });
  assert.deepEqual(page.messages.map((m) => m.text), ['hello class', 'hi Ann']);
  assert.equal(page.hasMore, true);
});

serverTest('a GIF is uploaded and posted; everyone gets the attachment and can fetch it', async ({ server, cleanup }) => {
  const { teacher, students: [ann] } = await classroom(server, cleanup, { students: ['Ann'] });
  const student = await openClient(server, ann.token, cleanup);

  const { seq, upload } = await student.uploadImage(TINY_GIF, 'dot.gif');
  assert.equal(upload.contentType, 'image/gif');
  assert.match(upload.uploadId, /^[0-9a-f]{64}$/);
  const message = await teacher.events.waitFor('message', (m) => m.seq === seq);
  assert.equal(message.text, '');
  assert.deepEqual(message.upload, { id: upload.uploadId, url: upload.url, contentType: 'image/gif' });

  const res = await fetch(teacher.uploadUrl(message.upload.url), { signal: AbortSignal.timeout(WAIT_MS) });
  assert.equal(res.status, 200);
  assert.deepEqual(new Uint8Array(await res.arrayBuffer()), TINY_GIF);

  // Not a picture: the upload route refuses it with its code.
  await assert.rejects(student.uploadImage(new TextEncoder().encode('not a picture'), 'x.gif'), {
    name: 'JigsyncError',
    code: 'unsupported_media_type',
    status: 415,
  });
});

serverTest('a whisper reaches its recipient, its sender and the teacher, no other student', async ({ server, cleanup }) => {
  const { room, teacher, students: [ann, ben] } = await classroom(server, cleanup, { students: ['Ann', 'Ben'] });
  const annClient = await openClient(server, ann.token, cleanup);
  const benClient = await openClient(server, ben.token, cleanup);
  const catClient = await openClient(server, (await joinRoom(server.http, { joinCode: room.joinCode, name: 'Cat' })).token, cleanup);

  const { seq } = await annClient.whisper(ben.userId, 'psst, corner piece');
  const got = await benClient.events.waitFor('message', (m) => m.seq === seq);
  assert.equal(got.kind, 'whisper');
  assert.equal(got.from, ann.userId);
  assert.equal(got.to, ben.userId);
  await annClient.events.waitFor('message', (m) => m.seq === seq);

  const seen = await teacher.events.waitFor('message', (m) => m.seq === seq);
  assert.equal(seen.kind, 'whisper', 'teachers see whispers, marked as such');
  assert.ok((await teacher.history()).messages.some((m) => m.seq === seq), 'the whisper is in the teacher\'s history');

  // A public message after the whisper: once Cat has it, the whisper would
  // have arrived before it (frames are in order per room).
  const barrier = await annClient.chat('barrier');
  await catClient.events.waitFor('message', (m) => m.seq === barrier.seq);
  assert.ok(!catClient.events.of('message').some((m) => m.kind === 'whisper'), 'another student saw the whisper');
  assert.ok(!(await catClient.history()).messages.some((m) => m.seq === seq), 'the whisper is in another student\'s history');
});

serverTest('errors reject with the server\'s code; unsolicited errors are events', async ({ server, cleanup }) => {
  const { teacher, students: [ann] } = await classroom(server, cleanup, { students: ['Ann'], mode: 'shared' });
  const student = await openClient(server, ann.token, cleanup);

  const forbidden = await student.lock(null, true).then(
    () => null,
    (err) => err,
  );
  assert.ok(forbidden instanceof JigsyncError, `lock was answered ${forbidden}`);
  assert.equal(forbidden.code, 'forbidden');
  assert.ok(Number.isInteger(forbidden.ref), 'the error carries the request ref');
  assert.ok(forbidden.message.length > 0);

  await assert.rejects(student.whisper(ann.userId, 'me myself'), { code: 'invalid' });
  await assert.rejects(student.chat('', 'a'.repeat(64)), { code: 'not_found' });
  await assert.rejects(student.chat('x'.repeat(2001)), { code: 'too_large' });
  await assert.rejects(student.kick(teacher.me.id), { code: 'forbidden' });
  await assert.rejects(student.startPuzzle({ uploadId: 'a'.repeat(64), rows: 2, cols: 2, mode: 'shared' }), {
    code: 'forbidden',
    status: 403,
  });
  const [boardInfo] = student.boards.map((b) => b.info);
  await assert.rejects(student.board(boardInfo.boardId).grab(999), { code: 'not_found' });

  // A refused move has no request to answer: it comes as an `error` event.
  await teacher.lock(boardInfo.boardId, true);
  await student.events.waitFor('boards', (b) => b.boards[0].locked);
  assert.equal(student.board(boardInfo.boardId).locked, true);
  student.board(boardInfo.boardId).move(0, 10, 10);
  const unsolicited = await student.events.waitFor('error', (e) => e.code === 'locked');
  assert.equal(unsolicited.ref, null);
  await assert.rejects(student.board(boardInfo.boardId).drop(0, 20, 20), { code: 'locked' });

  // The client keeps working after errors.
  await student.chat('still here');
});

serverTest('presence, participants and ownership follow the room', async ({ server, cleanup }) => {
  const { room, teacher, students: [ann] } = await classroom(server, cleanup, { students: ['Ann'] });
  const annOffline = teacher.participants.find((p) => p.id === ann.userId);
  assert.equal(annOffline.online, false, 'a joined student who never connected is offline');
  assert.equal(teacher.owner, room.userId);

  const student = await openClient(server, ann.token, cleanup);
  const online = await teacher.events.waitFor('presence', (p) => p.event === 'online');
  assert.equal(online.participant.id, ann.userId);
  assert.equal(online.count, 2);
  const list = await teacher.events.waitFor('participants', (l) => l.some((p) => p.id === ann.userId && p.online));
  assert.deepEqual(list.map((p) => p.name), ['Ms Park', 'Ann']);

  await teacher.transferOwnership(ann.userId);
  for (const client of [teacher, student]) {
    const { user } = await client.events.waitFor('owner', (o) => o.user === ann.userId);
    assert.equal(client.owner, user);
  }
  await student.events.waitFor('message', (m) => m.event?.kind === 'owner' && m.event.by === room.userId);

  student.close();
  await teacher.events.waitFor('presence', (p) => p.event === 'offline' && p.participant.id === ann.userId);
  assert.equal(teacher.participantsById.get(ann.userId).online, false);
});

serverTest('kick: the student gets `kicked` and the client closes for good', async ({ server, cleanup }) => {
  const { teacher, students: [ann] } = await classroom(server, cleanup, { students: ['Ann'] });
  const student = await openClient(server, ann.token, cleanup, { reconnect: { baseDelay: 10, maxDelay: 50 } });

  const { seq } = await teacher.kick(ann.userId);
  assert.ok(seq > 0);
  const kicked = await student.events.waitFor('kicked');
  assert.equal(kicked.code, 4403);
  assert.equal(student.connectionState, 'closed');
  await teacher.events.waitFor('presence', (p) => p.event === 'leave' && p.participant.id === ann.userId);
  await teacher.events.waitFor('message', (m) => m.event?.kind === 'kick' && m.event.user === ann.userId);
  assert.ok(!teacher.participants.some((p) => p.id === ann.userId));

  // No reconnect, and requests now fail at once.
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(student.events.of('connectionState'), ['open', 'closed']);
  await assert.rejects(student.chat('let me back'), { code: 'closed' });
});

serverTest('leave and closeRoom end the clients without reconnecting', async ({ server, cleanup }) => {
  const { room, teacher, students: [ann, ben] } = await classroom(server, cleanup, { students: ['Ann', 'Ben'] });
  const annClient = await openClient(server, ann.token, cleanup, { reconnect: { baseDelay: 10, maxDelay: 50 } });
  const benClient = await openClient(server, ben.token, cleanup, { reconnect: { baseDelay: 10, maxDelay: 50 } });

  await annClient.leave();
  await annClient.events.waitFor('connectionState', (s) => s === 'closed');
  await teacher.events.waitFor('presence', (p) => p.event === 'leave' && p.participant.id === ann.userId);

  await teacher.closeRoom();
  const closed = await benClient.events.waitFor('roomClosed');
  assert.equal(closed.code, 4404);
  await teacher.events.waitFor('roomClosed');
  await new Promise((resolve) => setTimeout(resolve, 300));
  for (const client of [annClient, benClient, teacher]) {
    assert.deepEqual(client.events.of('connectionState'), ['open', 'closed'], `${client.me.name}'s states`);
  }
});

serverTest('a bad token closes the client with `unauthorized`', async ({ server }) => {
  const client = connect(server.ws, { token: 'v1.bogus.token' });
  try {
    await assert.rejects(withTimeout(client.ready, 'the refusal'), { code: 'unauthorized' });
    assert.equal(client.connectionState, 'closed');
  } finally {
    client.close();
  }
});

test('offline: chat waits in a bounded queue; other requests fail at once; close() settles everything', async () => {
  // Nothing listens on port 1: the client keeps trying to connect.
  const client = connect('http://127.0.0.1:1', {
    token: 'v1.x.y',
    offlineQueueLimit: 3,
    reconnect: { baseDelay: 50, maxDelay: 100 },
  });
  try {
    const queued = [client.chat('one'), client.whisper('u1', 'two'), client.chat('three')];
    await assert.rejects(client.chat('four'), { code: 'queue_full' });
    await assert.rejects(client.lock(null, true), { code: 'disconnected' });
    await eventually(() => client.connectionState === 'connecting', 'connecting');
    client.close();
    for (const result of await Promise.allSettled(queued)) {
      assert.equal(result.status, 'rejected');
      assert.equal(result.reason.code, 'closed');
    }
    await assert.rejects(client.ready, { code: 'closed' });
    assert.equal(client.connectionState, 'closed');
  } finally {
    client.close();
  }
});

serverTest('a teacher locks joining: clients hear it, a join by code is refused with locked', async ({ server, cleanup }) => {
  const { room, teacher, students: [ann] } = await classroom(server, cleanup, { students: ['Ann'] });
  const student = await openClient(server, ann.token, cleanup);
  assert.equal(teacher.joinLocked, false);
  await assert.rejects(student.lockJoining(true), { code: 'forbidden' });
  await teacher.lockJoining(true);
  await student.events.waitFor('joining', (e) => e.locked === true);
  assert.equal(student.joinLocked, true);
  await assert.rejects(joinRoom(server.http, { joinCode: room.joinCode, name: 'Ben' }), { code: 'locked' });
  await teacher.lockJoining(false);
  await teacher.events.waitFor('joining', (e) => e.locked === false);
  const ben = await joinRoom(server.http, { joinCode: room.joinCode, name: 'Ann' });
  assert.equal(ben.name, 'Ann 2', 'a taken name gets a number');
});

serverTest('chat rules: a teacher mutes, switches chat and whispers off; students are told and refused', async ({ server, cleanup }) => {
  const { teacher, students: [ann, ben] } = await classroom(server, cleanup, { students: ['Ann', 'Ben'] });
  const student = await openClient(server, ann.token, cleanup);
  assert.deepEqual(student.chatRules, { whispers: 'visible_to_teachers', chatOff: false, muted: [] });
  assert.equal(student.chatBlocked(), null);
  await assert.rejects(student.mute(ben.userId, true), { code: 'forbidden' });

  await teacher.mute(ann.userId, true);
  await student.events.waitFor('chatrules', (r) => r.muted.includes(ann.userId));
  assert.equal(student.chatBlocked(), 'muted');
  await assert.rejects(student.chat('hi'), { code: 'muted' });
  await teacher.mute(ann.userId, false);
  await student.events.waitFor('chatrules', (r) => r.muted.length === 0);

  await teacher.chatOff(true);
  await student.events.waitFor('chatrules', (r) => r.chatOff);
  assert.equal(student.chatBlocked(), 'chat_off');
  await assert.rejects(student.chat('hi'), { code: 'chat_off' });
  await teacher.chat('only me');
  await teacher.chatOff(false);

  await teacher.setWhispers('off');
  await student.events.waitFor('chatrules', (r) => r.whispers === 'off' && !r.chatOff);
  assert.equal(student.chatBlocked(false), null);
  assert.equal(student.chatBlocked(true), 'whispers_off');
  await assert.rejects(student.whisper(ben.userId, 'psst'), { code: 'whispers_off' });
  assert.equal(teacher.chatBlocked(true), null, 'teachers are never held back');
});
