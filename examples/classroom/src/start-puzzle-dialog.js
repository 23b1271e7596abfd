// The teacher's "Start a puzzle" form: a picture (uploaded, or a drawn
// sample), the grid size and who works on which board. Submitting uploads
// the picture and starts the puzzle for the whole class.

import { h } from './dom.js';
import { describeError } from './errors.js';
import { t } from './i18n/index.js';
import { samplePicture } from './sample-picture.js';

const MODES = ['individual', 'shared', 'groups'];

/** Splits the class's students into teams of `size`, in the order they joined. */
function teams(client, size) {
  const students = client.participants.filter((p) => p.role === 'student').map((p) => p.id);
  const out = [];
  for (let i = 0; i < students.length; i += size) out.push(students.slice(i, i + size));
  return out;
}

export function openStartPuzzleDialog({ client, running, onStarted }) {
  let picture = null;
  let previewUrl = null;

  const preview = h('div', { class: 'picture-preview empty' }, h('span', { class: 'muted' }, t('puzzle.noPicture')));
  const setPicture = (blob, label) => {
    picture = blob;
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = URL.createObjectURL(blob);
    preview.className = 'picture-preview';
    preview.replaceChildren(h('img', { src: previewUrl, alt: label }), h('span', { class: 'muted' }, label));
  };
  const file = h('input', {
    type: 'file',
    accept: 'image/png,image/jpeg,image/gif,image/webp',
    testid: 'puzzle-image',
    id: 'puzzle-image',
    class: 'visually-hidden',
    onchange: () => {
      const chosen = file.files?.[0];
      if (chosen) setPicture(chosen, chosen.name);
    },
  });
  const sample = h(
    'button',
    {
      type: 'button',
      class: 'button subtle',
      onclick: async () => setPicture(await samplePicture(), t('puzzle.sampleName')),
    },
    t('puzzle.sample'),
  );

  const rows = h('input', { type: 'number', min: 2, max: 40, value: 3, testid: 'puzzle-rows', id: 'puzzle-rows', required: true });
  const cols = h('input', { type: 'number', min: 2, max: 40, value: 4, testid: 'puzzle-cols', id: 'puzzle-cols', required: true });
  const count = h('span', { class: 'muted' });
  const updateCount = () => {
    const n = Number(rows.value) * Number(cols.value);
    count.textContent = Number.isFinite(n) ? t('puzzle.pieces', { count: n }) : '';
    count.classList.toggle('form-error', n > 1000);
  };
  rows.addEventListener('input', updateCount);
  cols.addEventListener('input', updateCount);
  updateCount();

  const mode = h('select', { testid: 'puzzle-mode', id: 'puzzle-mode' }, MODES.map((value) => h('option', { value }, t(`puzzle.mode.${value}`))));
  const teamSize = h('input', { type: 'number', min: 2, max: 10, value: 3, id: 'team-size', testid: 'team-size' });
  const teamRow = h('div', { class: 'field', hidden: true }, h('label', { for: 'team-size' }, t('puzzle.teamSize')), teamSize);
  mode.addEventListener('change', () => {
    teamRow.hidden = mode.value !== 'groups';
  });

  const error = h('p', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'button primary', testid: 'start-puzzle' }, t('puzzle.submit'));
  const cancel = h('button', { type: 'button', class: 'button', onclick: () => dialog.close() }, t('dialog.cancel'));

  const form = h(
    'form',
    { class: 'start-form', onsubmit: start },
    h('h2', null, t('puzzle.title')),
    running ? h('p', { class: 'notice' }, t('puzzle.replaces')) : null,
    h(
      'div',
      { class: 'field' },
      h('span', { class: 'field-label' }, t('puzzle.picture')),
      preview,
      h('div', { class: 'picture-actions' }, file, h('label', { for: 'puzzle-image', class: 'button' }, t('puzzle.upload')), sample),
    ),
    h(
      'div',
      { class: 'field-row' },
      h('div', { class: 'field' }, h('label', { for: 'puzzle-rows' }, t('puzzle.rows')), rows),
      h('span', { class: 'times', 'aria-hidden': 'true' }, '×'),
      h('div', { class: 'field' }, h('label', { for: 'puzzle-cols' }, t('puzzle.cols')), cols),
      count,
    ),
    h('div', { class: 'field' }, h('label', { for: 'puzzle-mode' }, t('puzzle.mode')), mode),
    teamRow,
    error,
    h('div', { class: 'modal-actions' }, cancel, submit),
  );
  const dialog = h('dialog', { class: 'modal wide', testid: 'start-puzzle-dialog' }, form);

  async function start(event) {
    event.preventDefault();
    error.textContent = '';
    submit.disabled = true;
    submit.textContent = t('puzzle.starting');
    try {
      const blob = picture ?? (await samplePicture());
      const upload = await client.upload(blob, blob.name || 'picture.png');
      const chosenMode = mode.value;
      const groups = chosenMode === 'groups' ? teams(client, Math.max(1, Number(teamSize.value) || 3)) : undefined;
      if (groups && groups.length === 0) throw Object.assign(new Error('no students to make teams of'), { code: 'teams' });
      const started = await client.startPuzzle({
        uploadId: upload.uploadId,
        rows: Number(rows.value),
        cols: Number(cols.value),
        mode: chosenMode,
        groups,
      });
      dialog.close();
      onStarted?.(started);
    } catch (err) {
      error.textContent = describeError(err, { teams: t('puzzle.noTeams'), invalid: t('puzzle.badSize') });
    } finally {
      submit.disabled = false;
      submit.textContent = t('puzzle.submit');
    }
  }

  dialog.addEventListener('close', () => {
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    dialog.remove();
  });
  document.body.append(dialog);
  dialog.showModal();
}
