// What teachers allow in the chat, as the chat panel shows it: for a
// teacher, the class-wide switches (chat off, whispers off) and a mute
// button per student; for a student, a line saying that teachers can read
// whispers, and, when a rule keeps them from writing, why and until when,
// with the composer closed so nothing typed is refused later.

import { h } from './dom.js';
import { describeError } from './errors.js';
import { t } from './i18n/index.js';
import { toast } from './widgets.js';

const fail = (err) => toast(describeError(err), 'error');

/** Whether `id` is muted by the room's rules. */
export const isMuted = (client, id) => client.chatRules.muted.includes(id);

/** A teacher's mute / unmute button for student `p` in the people list. */
export function muteButton(client, p) {
  const muted = isMuted(client, p.id);
  const label = t(muted ? 'chatRules.unmute' : 'chatRules.mute', { name: p.name });
  return h(
    'button',
    {
      class: `icon-button${muted ? ' active' : ''}`,
      testid: 'mute',
      title: label,
      'aria-label': label,
      'aria-pressed': String(muted),
      onclick: () => client.mute(p.id, !muted).catch(fail),
    },
    muted ? '🔇' : '🔈',
  );
}

/** The "muted" tag after a person's name, for everyone. */
export function mutedTag(client, p) {
  return isMuted(client, p.id) ? h('span', { class: 'tag warning', testid: 'muted-tag' }, t('chatRules.mutedTag')) : null;
}

/**
 * The rules bar above the composer: the teacher's switches, or the
 * student's notice. `render()` follows the client's current rules.
 */
export function createRulesBar(client) {
  const el = h('div', { class: 'chat-rules', testid: 'chat-rules' });
  const isTeacher = () => client.me?.role === 'teacher';

  function teacherSwitches() {
    const rules = client.chatRules;
    const whispersOff = rules.whispers === 'off';
    return [
      h(
        'button',
        {
          class: `button small${rules.chatOff ? ' active' : ''}`,
          testid: 'chat-off',
          'aria-pressed': String(rules.chatOff),
          onclick: () => client.chatOff(!rules.chatOff).catch(fail),
        },
        t(rules.chatOff ? 'chatRules.chatOnButton' : 'chatRules.chatOffButton'),
      ),
      h(
        'button',
        {
          class: `button small${whispersOff ? ' active' : ''}`,
          testid: 'whispers-off',
          'aria-pressed': String(whispersOff),
          onclick: () => client.setWhispers(whispersOff ? 'visible_to_teachers' : 'off').catch(fail),
        },
        t(whispersOff ? 'chatRules.whispersOnButton' : 'chatRules.whispersOffButton'),
      ),
      h(
        'p',
        { class: 'chat-rules-note', testid: 'chat-rules-note' },
        t(rules.chatOff ? 'chatRules.teacherChatOff' : whispersOff ? 'chatRules.teacherWhispersOff' : 'chatRules.teacherSeesWhispers'),
      ),
    ];
  }

  function studentNotice() {
    const blocked = client.chatBlocked();
    if (blocked) {
      return h('p', { class: 'chat-rules-blocked', testid: 'chat-blocked', role: 'status' }, t(`chatRules.blocked.${blocked}`));
    }
    const whispersOff = client.chatRules.whispers === 'off';
    return h('p', { class: 'chat-rules-note', testid: 'chat-rules-note' }, t(whispersOff ? 'chatRules.whispersOff' : 'chatRules.whispersVisible'));
  }

  function render() {
    el.replaceChildren(...(isTeacher() ? teacherSwitches() : [studentNotice()]));
  }
  render();
  return { el, render };
}
