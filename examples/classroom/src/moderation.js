// The two moderation actions a teacher can take on a person, each behind a
// confirmation, from the people list or from a focused board.

import { describeError } from './errors.js';
import { t } from './i18n/index.js';
import { confirmDialog, toast } from './widgets.js';

/** Removes `p` from the class (kick), after asking. */
export async function removeParticipant(client, p) {
  const ok = await confirmDialog({
    title: t('moderation.remove.title', { name: p.name }),
    body: t('moderation.remove.body', { name: p.name }),
    confirm: t('moderation.remove.confirm'),
    danger: true,
  });
  if (!ok) return;
  client.kick(p.id).then(
    () => toast(t('moderation.remove.done', { name: p.name })),
    (err) => toast(describeError(err), 'error'),
  );
}

/** Makes `p` the owner of the class, after asking. */
export async function transferOwnership(client, p) {
  const ok = await confirmDialog({
    title: t('moderation.owner.title', { name: p.name }),
    body: t('moderation.owner.body'),
    confirm: t('moderation.owner.confirm'),
  });
  if (!ok) return;
  client.transferOwnership(p.id).then(
    () => toast(t('moderation.owner.done', { name: p.name })),
    (err) => toast(describeError(err), 'error'),
  );
}
