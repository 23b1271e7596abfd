// Deleting a class once it has ended: the owner's last step, offered on the
// screen that says they ended it. A confirmation first, since it removes
// the class's chat, boards and pictures for good; then the server deletes
// it (DELETE /api/rooms/{roomId}) and the screen says so.

import { deleteRoom } from 'jigsync-client';

import { h } from './dom.js';
import { describeError } from './errors.js';
import { t } from './i18n/index.js';
import { confirmDialog, toast } from './widgets.js';

/** The "Delete class" button; `onDeleted` runs once the server has deleted it. */
export function deleteClassButton({ roomId, token, onDeleted }) {
  const button = h('button', { class: 'button subtle danger', testid: 'delete-class', type: 'button' }, t('room.delete'));
  button.addEventListener('click', async () => {
    const ok = await confirmDialog({
      title: t('room.delete.title'),
      body: t('room.delete.body'),
      confirm: t('room.delete'),
      danger: true,
    });
    if (!ok) return;
    button.disabled = true;
    try {
      await deleteRoom(location.origin, { roomId, token });
      onDeleted();
    } catch (err) {
      button.disabled = false;
      toast(describeError(err), 'error');
    }
  });
  return button;
}
