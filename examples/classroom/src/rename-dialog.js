// The teacher's "Change name" dialog for one student: the same checks as the
// join form (blank, over 40 characters) before anything is sent; the server
// then keeps names unique ("Ann 2") and everyone sees the new name at once.

import { h } from './dom.js';
import { describeError } from './errors.js';
import { t } from './i18n/index.js';
import { MAX_NAME_CHARS, nameProblem } from './names.js';
import { toast } from './widgets.js';

export function openRenameDialog(client, p) {
  const input = h('input', {
    testid: 'rename-input',
    id: 'rename-input',
    value: p.name,
    autocomplete: 'off',
    // Room for a too-long paste to be seen and reported rather than cut.
    maxLength: MAX_NAME_CHARS * 2,
    'aria-describedby': 'rename-problem',
  });
  const problem = h('p', { class: 'form-error', id: 'rename-problem', testid: 'rename-problem', role: 'alert' });
  const save = h('button', { type: 'submit', class: 'button primary', testid: 'rename-save' }, t('rename.save'));
  const dialog = h(
    'dialog',
    { class: 'modal', testid: 'rename-dialog', 'aria-labelledby': 'rename-title' },
    h(
      'form',
      { class: 'rename-form', onsubmit: submit },
      h('h2', { id: 'rename-title' }, t('rename.title', { name: p.name })),
      h('label', { for: 'rename-input', class: 'field-label' }, t('rename.label')),
      input,
      h('p', { class: 'field-hint muted' }, t('name.hint', { max: MAX_NAME_CHARS })),
      problem,
      h(
        'div',
        { class: 'modal-actions' },
        h('button', { type: 'button', class: 'button', testid: 'rename-cancel', onclick: () => dialog.close() }, t('dialog.cancel')),
        save,
      ),
    ),
  );
  const check = () => {
    // The join form's checks, worded for a teacher naming someone else.
    problem.textContent = input.value.trim() ? (nameProblem(input.value) ?? '') : t('rename.blank');
    input.toggleAttribute('aria-invalid', Boolean(problem.textContent));
    return !problem.textContent;
  };
  input.addEventListener('input', check);

  async function submit(event) {
    event.preventDefault();
    if (!check()) return;
    save.disabled = true;
    // The name the room gave (perhaps numbered) arrives as a `presence`
    // right after the ack; none comes when the name did not change.
    let given = null;
    const off = client.on('presence', (e) => {
      if (e.event === 'rename' && e.participant.id === p.id) given = e.participant.name;
    });
    try {
      await client.rename(p.id, input.value.trim());
      for (let i = 0; i < 20 && given === null; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      toast(t('rename.done', { old: p.name, name: given ?? client.participantsById.get(p.id)?.name ?? p.name }), 'success');
      dialog.close();
    } catch (err) {
      problem.textContent = describeError(err);
    } finally {
      off();
      save.disabled = false;
    }
  }

  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  input.select();
}
