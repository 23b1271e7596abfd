// The landing page: a teacher starts a class, a student joins one by code,
// or someone this browser already is in a class continues as themselves.
// Each ends with a session saved for this tab and the classroom shown.

import { createRoom, joinRoom } from 'jigsync-client';

import { openReportDialog } from './class-report.js';
import { h } from './dom.js';
import { describeError } from './errors.js';
import { onLocaleChange, t } from './i18n/index.js';
import { normaliseCode } from './join-code.js';
import { languageSwitch } from './language-switch.js';
import { MAX_NAME_CHARS, MAX_ROOM_NAME_CHARS, nameProblem, roomNameProblem } from './names.js';
import { forgetClass, recentClasses, savedIdentity, saveSession, spacedCode } from './session.js';
import { forgetTeacherPass, loadTeacherPass, saveTeacherPass, signupMode } from './teacher-pass.js';
import { brand } from './widgets.js';

/** Ids of the fields whose text survives a redraw (a language switch). */
const FIELDS = ['join-code', 'student-name', 'teacher-name', 'room-name', 'signup-credential'];

/** What the fields hold now, to draw the page again with. */
const fieldValues = () => Object.fromEntries(FIELDS.map((id) => [id, document.getElementById(id)?.value ?? '']));

/** Draws the landing page into `root`; returns the function that removes it. */
export function renderLanding(root, { code, onEnter }) {
  // Who this browser already is in that class (or was, last, as a student):
  // offered instead of the join form, until "Not you?" sets it aside.
  // `signup`: what creating a class asks for here ('open' until the server says).
  const state = { saved: savedIdentity(normaliseCode(code)), signup: 'open' };
  const draw = (values, focusId) => {
    root.replaceChildren();
    drawLanding(root, { values, focusId, onEnter, state, redraw: draw });
  };
  draw({ 'join-code': normaliseCode(code) }, state.saved ? 'continue-as' : code ? 'student-name' : 'join-code');
  let removed = false;
  signupMode(location.origin).then((mode) => {
    if (removed || mode === state.signup) return;
    state.signup = mode;
    draw(fieldValues(), document.activeElement?.id);
  });
  const off = onLocaleChange(() => draw(fieldValues(), document.activeElement?.id));
  return () => {
    removed = true;
    off();
  };
}

function drawLanding(root, { values, focusId, onEnter, state, redraw }) {
  const server = location.origin;
  document.title = t('app.title');

  const teacherName = h('input', {
    testid: 'teacher-name',
    id: 'teacher-name',
    autocomplete: 'name',
    // A little over the limit, so that a pasted name is not cut silently but explained.
    maxLength: MAX_NAME_CHARS * 2,
    required: true,
    placeholder: t('landing.start.namePlaceholder'),
    'aria-describedby': 'teacher-name-hint',
    value: values['teacher-name'] ?? '',
  });
  const roomName = h('input', {
    testid: 'room-name',
    id: 'room-name',
    maxLength: MAX_ROOM_NAME_CHARS * 2,
    required: true,
    placeholder: t('landing.start.roomPlaceholder'),
    value: values['room-name'] ?? '',
  });
  // A server that asks for a secret or a district's token, and no pass yet:
  // the form asks for it (a pass, once held, is enough from then on).
  const credentialKind = loadTeacherPass() ? null : { secret: 'secret', token: 'token' }[state.signup] ?? null;
  const credential = h('input', {
    testid: 'signup-credential',
    id: 'signup-credential',
    type: credentialKind === 'secret' ? 'password' : 'text',
    autocomplete: 'off',
    spellcheck: false,
    required: true,
    'aria-describedby': 'signup-credential-hint',
    value: values['signup-credential'] ?? '',
  });
  const credentialFields = credentialKind
    ? [
        h('label', { for: 'signup-credential' }, t(`landing.start.${credentialKind}`)),
        credential,
        h('p', { class: 'field-hint muted', id: 'signup-credential-hint' }, t(`landing.start.${credentialKind}Hint`)),
      ]
    : [];
  const startError = h('p', { class: 'form-error', role: 'alert', testid: 'start-error' });
  const startButton = h('button', { type: 'submit', class: 'button primary wide', testid: 'start-class' }, t('landing.start.submit'));

  const joinCode = h('input', {
    testid: 'join-code',
    id: 'join-code',
    class: 'code-input',
    autocomplete: 'off',
    autocapitalize: 'characters',
    spellcheck: false,
    required: true,
    placeholder: 'ABC 234',
    value: normaliseCode(values['join-code'] ?? ''),
  });
  // Rewriting the value in the middle of an IME composition (Korean layout
  // on) would break the composition; the code is tidied once it ends.
  const tidyCode = () => {
    const tidy = normaliseCode(joinCode.value);
    if (tidy === joinCode.value) return;
    joinCode.value = tidy;
    joinCode.setSelectionRange(tidy.length, tidy.length);
  };
  joinCode.addEventListener('input', (event) => {
    if (!event.isComposing) tidyCode();
  });
  joinCode.addEventListener('compositionend', tidyCode);

  const studentName = h('input', {
    testid: 'student-name',
    id: 'student-name',
    autocomplete: 'given-name',
    maxLength: MAX_NAME_CHARS * 2,
    required: true,
    placeholder: t('landing.join.namePlaceholder'),
    'aria-describedby': 'student-name-hint',
    value: values['student-name'] ?? '',
  });
  const joinError = h('p', { class: 'form-error', role: 'alert', testid: 'join-error' });
  const joinButton = h('button', { type: 'submit', class: 'button primary wide', testid: 'join-class' }, t('landing.join.submit'));

  /** Shows `problem` for `field` (or clears it); true when there was one. */
  const report = (errorEl, field, problem) => {
    errorEl.textContent = problem ?? '';
    if (problem) {
      field.setAttribute('aria-invalid', 'true');
      field.focus();
    } else {
      field.removeAttribute('aria-invalid');
    }
    return Boolean(problem);
  };

  async function start(event) {
    event.preventDefault();
    startError.textContent = '';
    if (report(startError, teacherName, nameProblem(teacherName.value))) return;
    if (report(startError, roomName, roomNameProblem(roomName.value))) return;
    const given = credential.value.trim();
    if (credentialKind && report(startError, credential, given ? null : t(`landing.start.${credentialKind}Missing`))) return;
    startButton.disabled = true;
    // A district's token is the teacher's pass; a secret travels beside the request.
    const teacherPass = credentialKind === 'token' ? given : loadTeacherPass() ?? undefined;
    const signupSecret = credentialKind === 'secret' ? given : undefined;
    try {
      const name = teacherName.value.trim();
      const room = roomName.value.trim();
      const created = await createRoom(server, { name: room, teacherName: name, teacherPass, signupSecret });
      saveTeacherPass(created.teacherPass);
      saveSession({
        role: 'teacher',
        roomId: created.roomId,
        token: created.teacherToken,
        userId: created.userId,
        name,
        roomName: room,
        joinCode: created.joinCode,
      });
      onEnter();
    } catch (err) {
      const passRefused = err?.code === 'unauthorized' && teacherPass;
      if (passRefused) {
        // An expired pass: ask again for what the server wants (or, when it
        // asks for nothing, just try again, as a new teacher).
        forgetTeacherPass();
        redraw({ ...fieldValues(), 'signup-credential': '' }, 'start-class');
        document.querySelector('[data-testid="start-error"]').textContent = t('landing.start.passExpired');
        return;
      }
      startError.textContent = describeError(err, {
        signup_secret_required: t('landing.start.secretWrong'),
        teacher_token_required: t('landing.start.tokenMissing'),
      });
      if (credentialKind) credential.setAttribute('aria-invalid', 'true');
      startButton.disabled = false;
    }
  }

  async function join(event) {
    event.preventDefault();
    joinError.textContent = '';
    const codeValue = normaliseCode(joinCode.value);
    joinCode.value = codeValue;
    if (report(joinError, joinCode, codeValue.length !== 6 ? t('landing.join.codeLength') : null)) return;
    if (report(joinError, studentName, nameProblem(studentName.value))) return;
    joinButton.disabled = true;
    try {
      const name = studentName.value.trim();
      const joined = await joinRoom(server, { joinCode: codeValue, name });
      saveSession({
        role: 'student',
        roomId: joined.roomId,
        token: joined.token,
        userId: joined.userId,
        // The room's name for this student: numbered if the name was taken.
        name: joined.name ?? name,
        roomName: '',
        joinCode: codeValue,
      });
      onEnter();
    } catch (err) {
      joinError.textContent = describeError(err, { not_found: t('landing.join.noSuchCode'), locked: t('landing.join.closed') });
      joinButton.disabled = false;
    }
  }

  // A teacher's classes from earlier tabs: the way back after closing one.
  const recentList = h('ul', { class: 'recent-list' });
  const recentCard = h(
    'section',
    { class: 'card recent-card', testid: 'recent-classes', 'aria-labelledby': 'recent-title' },
    h('h2', { id: 'recent-title' }, t('landing.recent.title')),
    recentList,
  );
  const renderRecent = () => {
    const classes = recentClasses();
    recentCard.hidden = classes.length === 0;
    recentList.replaceChildren(
      ...classes.map((entry) => {
        const room = entry.roomName || t('landing.recent.untitled');
        return h(
          'li',
          { class: 'recent-item' },
          h(
            'div',
            { class: 'recent-text' },
            h('strong', null, room),
            // Before the details, which are cut short on a narrow card.
            entry.endedAt ? h('span', { class: 'tag', testid: 'class-ended-tag' }, t('landing.recent.ended')) : null,
            h('span', { class: 'muted' }, t('landing.recent.detail', { code: spacedCode(entry.joinCode ?? ''), name: entry.name })),
          ),
          // An ended class cannot be continued; its report can still be read.
          entry.endedAt
            ? h(
                'button',
                {
                  class: 'button small',
                  testid: 'recent-report',
                  'aria-label': t('landing.recent.reportLabel', { room }),
                  onclick: () => openReportDialog({ roomId: entry.roomId, token: entry.token }),
                },
                t('report.open'),
              )
            : h(
                'button',
                {
                  class: 'button primary small',
                  testid: 'continue-class',
                  'aria-label': t('landing.recent.continueLabel', { room }),
                  onclick: () => {
                    saveSession(entry);
                    onEnter();
                  },
                },
                t('landing.recent.continue'),
              ),
          h(
            'button',
            {
              class: 'icon-button',
              title: t('landing.recent.forget'),
              'aria-label': t('landing.recent.forgetLabel', { room }),
              onclick: () => {
                forgetClass(entry);
                renderRecent();
              },
            },
            '✕',
          ),
        );
      }),
    );
  };
  renderRecent();

  // Someone this browser already is in the class is offered first; "Not
  // you?" sets them aside for the join form.
  const joinCard = state.saved
    ? continueCard(state.saved, {
        onContinue: () => {
          saveSession(state.saved);
          onEnter();
        },
        onNotMe: () => {
          // A shared laptop: the next student joins as themselves, and the
          // earlier one's token is not left behind for them.
          forgetClass(state.saved);
          const joinCodeValue = state.saved.joinCode ?? values['join-code'] ?? '';
          state.saved = null;
          redraw({ ...values, 'join-code': joinCodeValue }, joinCodeValue ? 'student-name' : 'join-code');
        },
      })
    : h(
        'form',
        { class: 'card landing-card', onsubmit: join, 'aria-labelledby': 'join-title', noValidate: true },
        h('h2', { id: 'join-title' }, t('landing.join.title')),
        h('p', { class: 'muted' }, t('landing.join.hint')),
        h('label', { for: 'join-code' }, t('landing.join.code')),
        joinCode,
        h('label', { for: 'student-name' }, t('landing.join.name')),
        studentName,
        h('p', { class: 'field-hint muted', id: 'student-name-hint' }, t('name.hint', { max: MAX_NAME_CHARS })),
        joinError,
        joinButton,
      );

  root.append(
    h(
      'div',
      { class: 'landing' },
      h('header', { class: 'landing-header' }, brand(), languageSwitch()),
      h(
        'main',
        { class: 'landing-main' },
        h('section', { class: 'landing-intro' }, h('h1', null, t('landing.title')), h('p', null, t('landing.intro'))),
        h(
          'div',
          { class: 'landing-cards' },
          recentCard,
          joinCard,
          h(
            'form',
            { class: 'card landing-card', onsubmit: start, 'aria-labelledby': 'start-title', noValidate: true },
            h('h2', { id: 'start-title' }, t('landing.start.title')),
            h('p', { class: 'muted' }, t('landing.start.hint')),
            h('label', { for: 'teacher-name' }, t('landing.start.name')),
            teacherName,
            h('p', { class: 'field-hint muted', id: 'teacher-name-hint' }, t('name.hint', { max: MAX_NAME_CHARS })),
            h('label', { for: 'room-name' }, t('landing.start.room')),
            roomName,
            ...credentialFields,
            startError,
            startButton,
          ),
        ),
      ),
      h('footer', { class: 'landing-footer muted' }, t('landing.footer')),
    ),
  );
  document.getElementById(focusId ?? '')?.focus();
}

/** The join card for someone this browser already is in a class: continue as them, or set them aside. */
function continueCard(saved, { onContinue, onNotMe }) {
  const room = saved.roomName || t('landing.recent.untitled');
  return h(
    'section',
    { class: 'card landing-card continue-card', testid: 'continue-card', 'aria-labelledby': 'join-title' },
    h('h2', { id: 'join-title' }, t('landing.continue.title')),
    h(
      'p',
      { class: 'muted' },
      t(saved.role === 'teacher' ? 'landing.continue.bodyTeacher' : 'landing.continue.body', {
        name: saved.name,
        room,
        code: spacedCode(saved.joinCode ?? ''),
      }),
    ),
    h(
      'button',
      { type: 'button', class: 'button primary wide', id: 'continue-as', testid: 'continue-as', onclick: onContinue },
      t('landing.continue.submit', { name: saved.name }),
    ),
    h(
      'button',
      { type: 'button', class: 'link-button', testid: 'not-me', onclick: onNotMe },
      t('landing.continue.notMe', { name: saved.name }),
    ),
  );
}
