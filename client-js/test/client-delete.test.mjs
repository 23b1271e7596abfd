// Deleting a room through the library: its owner's token deletes it, its
// clients hear `roomClosed` (4404) and stop, and the code no longer joins.
// Anyone else's token is refused.

import assert from 'node:assert/strict';

import { JigsyncError, deleteRoom, joinRoom } from '../src/index.js';
import { classroom, openClient } from './support/classroom.mjs';
import { serverTest } from './support/server.mjs';

serverTest('the owner deletes a room: its clients are told, and the code is gone', async ({ server, cleanup }) => {
  const { room, teacher, students: [ann] } = await classroom(server, cleanup, { students: ['Ann'] });
  const student = await openClient(server, ann.token, cleanup);

  await assert.rejects(deleteRoom(server.http, { roomId: room.roomId, token: ann.token }), (err) => {
    assert.ok(err instanceof JigsyncError);
    assert.equal(err.code, 'forbidden');
    return true;
  });

  await deleteRoom(server.http, { roomId: room.roomId, token: room.teacherToken });
  for (const client of [teacher, student]) {
    const closed = await client.events.waitFor('roomClosed');
    assert.equal(closed.code, 4404);
  }
  await assert.rejects(joinRoom(server.http, { joinCode: room.joinCode, name: 'Late' }), (err) => {
    assert.equal(err.code, 'not_found');
    return true;
  });
  await assert.rejects(deleteRoom(server.http, { roomId: room.roomId, token: room.teacherToken }), (err) => {
    assert.equal(err.code, 'not_found');
    return true;
  });
});
