// The two moderation actions a teacher can take on a person, each behind a
// confirmation, from the people list or from a focused board.

import { describeError } from './errors.js';
import { confirmDialog, toast } from './widgets.js';

/** Removes `p` from the class (kick), after asking. */
export async function removeParticipant(client, p) {
  const ok = await confirmDialog({
    title: `Remove ${p.name}?`,
    body: `${p.name} leaves the class at once. Coming back takes the class code and a new join.`,
    confirm: 'Remove',
    danger: true,
  });
  if (!ok) return;
  client.kick(p.id).then(
    () => toast(`${p.name} was removed.`),
    (err) => toast(describeError(err), 'error'),
  );
}

/** Makes `p` the owner of the class, after asking. */
export async function transferOwnership(client, p) {
  const ok = await confirmDialog({
    title: `Make ${p.name} the owner?`,
    body: 'The owner can close the class and manage teachers. You stay in the class as a teacher.',
    confirm: 'Transfer',
  });
  if (!ok) return;
  client.transferOwnership(p.id).then(
    () => toast(`${p.name} now owns the class.`),
    (err) => toast(describeError(err), 'error'),
  );
}
