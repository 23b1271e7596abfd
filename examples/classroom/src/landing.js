// The landing page: a teacher starts a class, a student joins one by code.
// Both end with a session saved for this tab and the classroom shown.

import { createRoom, joinRoom } from 'jigsync-client';

import { h } from './dom.js';
import { describeError } from './errors.js';
import { forgetClass, recentClasses, saveSession, spacedCode } from './session.js';
import { brand } from './widgets.js';

const CODE_ALPHABET = /[^ABCDEFGHJKMNPQRSTWXYZ23456789]/g;

/** Accepts what people type ("abc-234", "abc 234") and keeps the code's own letters. */
function normaliseCode(text) {
  return text.toUpperCase().replace(CODE_ALPHABET, '').slice(0, 6);
}

export function renderLanding(root, { code, onEnter }) {
  const server = location.origin;

  const teacherName = h('input', {
    testid: 'teacher-name',
    id: 'teacher-name',
    autocomplete: 'name',
    maxLength: 64,
    required: true,
    placeholder: 'e.g. Ms Rivera',
  });
  const roomName = h('input', {
    testid: 'room-name',
    id: 'room-name',
    maxLength: 80,
    required: true,
    placeholder: 'e.g. Year 5 — Geography',
  });
  const startError = h('p', { class: 'form-error', role: 'alert' });
  const startButton = h('button', { type: 'submit', class: 'button primary wide', testid: 'start-class' }, 'Start a class');

  const joinCode = h('input', {
    testid: 'join-code',
    id: 'join-code',
    class: 'code-input',
    autocomplete: 'off',
    autocapitalize: 'characters',
    spellcheck: false,
    required: true,
    placeholder: 'ABC 234',
    value: normaliseCode(code),
    oninput: () => {
      const caret = joinCode.value.length;
      joinCode.value = normaliseCode(joinCode.value);
      joinCode.setSelectionRange(caret, caret);
    },
  });
  const studentName = h('input', {
    testid: 'student-name',
    id: 'student-name',
    autocomplete: 'given-name',
    maxLength: 64,
    required: true,
    placeholder: 'Your first name',
  });
  const joinError = h('p', { class: 'form-error', role: 'alert' });
  const joinButton = h('button', { type: 'submit', class: 'button primary wide', testid: 'join-class' }, 'Join');

  async function start(event) {
    event.preventDefault();
    startError.textContent = '';
    startButton.disabled = true;
    try {
      const name = teacherName.value.trim();
      const room = roomName.value.trim();
      const created = await createRoom(server, { name: room, teacherName: name });
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
      startError.textContent = describeError(err);
      startButton.disabled = false;
    }
  }

  async function join(event) {
    event.preventDefault();
    joinError.textContent = '';
    const codeValue = normaliseCode(joinCode.value);
    if (codeValue.length !== 6) {
      joinError.textContent = 'A class code has 6 letters and numbers.';
      joinCode.focus();
      return;
    }
    joinButton.disabled = true;
    try {
      const name = studentName.value.trim();
      const joined = await joinRoom(server, { joinCode: codeValue, name });
      saveSession({
        role: 'student',
        roomId: joined.roomId,
        token: joined.token,
        userId: joined.userId,
        name,
        roomName: '',
        joinCode: codeValue,
      });
      onEnter();
    } catch (err) {
      joinError.textContent = describeError(err, {
        not_found: 'No class has that code. Check it with your teacher.',
      });
      joinButton.disabled = false;
    }
  }

  // A teacher's classes from earlier tabs: the way back after closing one.
  const recentList = h('ul', { class: 'recent-list' });
  const recentCard = h(
    'section',
    { class: 'card recent-card', testid: 'recent-classes', 'aria-labelledby': 'recent-title' },
    h('h2', { id: 'recent-title' }, 'Your classes'),
    recentList,
  );
  const renderRecent = () => {
    const classes = recentClasses();
    recentCard.hidden = classes.length === 0;
    recentList.replaceChildren(
      ...classes.map((entry) =>
        h(
          'li',
          { class: 'recent-item' },
          h(
            'div',
            { class: 'recent-text' },
            h('strong', null, entry.roomName || 'Class'),
            h('span', { class: 'muted' }, ` · code ${spacedCode(entry.joinCode ?? '')} · as ${entry.name}`),
          ),
          h(
            'button',
            {
              class: 'button primary small',
              testid: 'continue-class',
              onclick: () => {
                saveSession(entry);
                onEnter();
              },
            },
            'Continue',
          ),
          h(
            'button',
            {
              class: 'icon-button',
              title: 'Forget this class on this computer',
              'aria-label': `Forget ${entry.roomName}`,
              onclick: () => {
                forgetClass(entry);
                renderRecent();
              },
            },
            '✕',
          ),
        ),
      ),
    );
  };
  renderRecent();

  root.append(
    h(
      'div',
      { class: 'landing' },
      h('header', { class: 'landing-header' }, brand()),
      h(
        'main',
        { class: 'landing-main' },
        h(
          'section',
          { class: 'landing-intro' },
          h('h1', null, 'Puzzle it out, together.'),
          h(
            'p',
            null,
            'Turn any picture into a jigsaw for your class. Students solve on their own laptops or tablets; you watch every board live and share the best ones on the big screen.',
          ),
        ),
        h(
          'div',
          { class: 'landing-cards' },
          recentCard,
          h(
            'form',
            { class: 'card landing-card', onsubmit: join, 'aria-labelledby': 'join-title' },
            h('h2', { id: 'join-title' }, 'Join a class'),
            h('p', { class: 'muted' }, 'Type the code your teacher shows.'),
            h('label', { for: 'join-code' }, 'Class code'),
            joinCode,
            h('label', { for: 'student-name' }, 'Your name'),
            studentName,
            joinError,
            joinButton,
          ),
          h(
            'form',
            { class: 'card landing-card', onsubmit: start, 'aria-labelledby': 'start-title' },
            h('h2', { id: 'start-title' }, 'Start a class'),
            h('p', { class: 'muted' }, 'For teachers: get a code for your students.'),
            h('label', { for: 'teacher-name' }, 'Your name'),
            teacherName,
            h('label', { for: 'room-name' }, 'Class name'),
            roomName,
            startError,
            startButton,
          ),
        ),
      ),
      h('footer', { class: 'landing-footer muted' }, 'No accounts, no installs: the class lives as long as you need it.'),
    ),
  );
  (code ? studentName : joinCode).focus();
}
