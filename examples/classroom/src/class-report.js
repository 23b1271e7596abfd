// The end-of-class report for a teacher, in a dialog: one row per student
// (solved or not, time to solve, progress, drops), sortable by any column,
// and downloadable as CSV. It reads GET /api/rooms/{roomId}/report with the
// teacher's token, so it works during the class and on the "class ended"
// screen, after the room's connection is gone. Each student's row with a
// board opens that board's replay in the dialog, fetched with the same
// token, so it needs no live board either.

import { fetchReport, loadReplay, openUploadGrants } from 'jigsync-client';

import { h, replaceChildren } from './dom.js';
import { describeError } from './errors.js';
import { locale, t } from './i18n/index.js';
import { openReplayPanel } from './replay-panel.js';
import { reportCsv } from './report-csv.js';
import './class-report.css';
import { formatDuration } from './system-message.js';

/** Column key → the value it sorts by (ties go by name). */
const COLUMNS = {
  name: (s) => s.name,
  solved: (s) => (s.solved ? 1 : 0),
  took: (s) => s.tookMs ?? Number.POSITIVE_INFINITY,
  progress: (s) => s.progress,
  drops: (s) => s.drops,
};

const dateTime = (ms) => new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(ms);

export function sortStudents(students, { key, descending }, locale) {
  const value = COLUMNS[key] ?? COLUMNS.name;
  const byName = (a, b) => a.name.localeCompare(b.name, locale);
  return [...students].sort((a, b) => {
    const [x, y] = [value(a), value(b)];
    const order = typeof x === 'string' ? x.localeCompare(y, locale) : x - y;
    return (descending ? -order : order) || byName(a, b);
  });
}

/** Opens the report of room `roomId` (a teacher's `token`). */
export function openReportDialog({ roomId, token }) {
  let report = null;
  let sort = { key: 'name', descending: false };
  let replay = null;
  /** The room's upload grants, fetched with the first replay (its board picture needs one). */
  let grants = null;

  const status = h('p', { class: 'muted', testid: 'report-status', role: 'status' }, t('report.loading'));
  const table = h('table', { class: 'report-table', testid: 'report-table' });
  const download = h('button', { type: 'button', class: 'button primary', testid: 'report-csv', disabled: true, onclick: saveCsv }, t('report.download'));
  const summary = h(
    'div',
    { class: 'report-summary' },
    status,
    h('div', { class: 'report-scroll' }, table),
    h(
      'div',
      { class: 'modal-actions' },
      h('button', { type: 'button', class: 'button', testid: 'report-close', onclick: () => dialog.close() }, t('dialog.close')),
      download,
    ),
  );
  const dialog = h(
    'dialog',
    { class: 'modal report', testid: 'report-dialog', 'aria-labelledby': 'report-title' },
    h('h2', { id: 'report-title' }, t('report.title')),
    summary,
  );
  dialog.addEventListener('close', () => {
    replay?.destroy();
    grants?.close();
    dialog.remove();
  });
  document.body.append(dialog);
  dialog.showModal();

  function headerCell(key) {
    const active = sort.key === key;
    const ariaSort = active ? (sort.descending ? 'descending' : 'ascending') : 'none';
    const arrow = active ? (sort.descending ? ' ▼' : ' ▲') : '';
    return h(
      'th',
      { scope: 'col', 'aria-sort': ariaSort },
      h(
        'button',
        {
          type: 'button',
          class: 'link-button',
          testid: `report-sort-${key}`,
          onclick: () => {
            sort = { key, descending: active ? !sort.descending : key !== 'name' && key !== 'took' };
            render();
          },
        },
        t(`report.col.${key}`),
        arrow,
      ),
    );
  }

  /** The replay of `student`'s board, in place of the table until "Back". */
  function openReplay(student) {
    replay?.destroy();
    replay = openReplayPanel({
      load: async () => {
        if (!grants) {
          const opened = await openUploadGrants(location.origin, { roomId, token });
          // Closed meanwhile: nothing would stop its renewals.
          if (!dialog.isConnected) opened.close();
          else grants ??= opened;
        }
        return loadReplay(location.origin, { roomId, boardId: student.board, token });
      },
      pictureUrl: (url) => grants.url(url),
      boardId: student.board,
      container: dialog,
      stage: summary,
      backLabel: t('replayReport.back'),
      onClose: () => (replay = null),
    });
  }

  function replayCell(student) {
    if (student.board === null || student.board === undefined) return h('td', null);
    const label = t('replayReport.of', { name: student.name });
    return h(
      'td',
      null,
      h('button', { type: 'button', class: 'button subtle small', testid: 'report-replay', 'aria-label': label, onclick: () => openReplay(student) }, t('replayReport.open')),
    );
  }

  function render() {
    const students = sortStudents(report.students, sort, locale());
    replaceChildren(
      table,
      h('thead', null, h('tr', null, Object.keys(COLUMNS).map(headerCell), h('th', { scope: 'col' }, t('replayReport.column')))),
      h(
        'tbody',
        null,
        students.map((s) =>
          h(
            'tr',
            { testid: 'report-row', dataset: { user: s.userId } },
            h(
              'th',
              { scope: 'row' },
              s.name,
              s.status === 'active' ? null : h('span', { class: 'tag' }, t(`report.status.${s.status}`)),
            ),
            h('td', { class: s.solved ? 'solved' : '' }, t(s.solved ? 'report.yes' : 'report.no')),
            h('td', null, formatDuration(s.tookMs ?? undefined) ?? '—'),
            h('td', null, `${Math.round(s.progress * 100)}%`),
            h('td', null, String(s.drops)),
            replayCell(s),
          ),
        ),
      ),
    );
    const solved = report.students.filter((s) => s.solved).length;
    status.textContent = report.closedAt
      ? t('report.summaryEnded', { solved, count: report.students.length, at: dateTime(report.closedAt) })
      : t('report.summary', { solved, count: report.students.length });
  }

  function saveCsv() {
    const csv = reportCsv(sortStudents(report.students, sort, locale()));
    const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
    const day = new Date().toISOString().slice(0, 10);
    const safeName = report.roomName.replace(/[\\/:*?"<>|]+/g, '_').trim() || 'class';
    const link = h('a', { href: url, download: `${safeName} ${day}.csv`, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  fetchReport(location.origin, { roomId, token }).then(
    (loaded) => {
      report = loaded;
      download.disabled = report.students.length === 0;
      if (report.students.length === 0) {
        status.textContent = t('report.empty');
        return;
      }
      render();
    },
    (err) => {
      status.textContent = describeError(err);
    },
  );
  return dialog;
}
