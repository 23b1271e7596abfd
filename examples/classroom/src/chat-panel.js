// The room's conversation, the same for teachers and students: who is here
// (with the teacher's moderation buttons), the messages (chat in each
// person's colour, pictures inline, whispers and system notices styled
// apart), and a composer that can whisper and attach a picture.

import { lengthCounter, messageText } from './chat-limits.js';
import { createRulesBar, muteButton, mutedTag } from './chat-rules.js';
import { textColor } from './colors.js';
import { h, replaceChildren } from './dom.js';
import { describeError } from './errors.js';
import { formatTime, t } from './i18n/index.js';
import { removeParticipant, transferOwnership } from './moderation.js';
import { showPicture } from './pictures.js';
import { openRenameDialog } from './rename-dialog.js';
import { systemText } from './system-message.js';
import { dot, presenceDot, toast } from './widgets.js';

const SYSTEM_ICONS = {
  join: '👋', leave: '🚪', kick: '⛔', owner: '👑', closed: '🔒', solved: '🎉',
  mute: '🔇', unmute: '🔈', chat_off: '💬', chat_on: '💬', whispers_off: '🤫', whispers_on: '🤫',
};

/**
 * @param {object} options
 * @param {import('jigsync-client').JigsyncClient} options.client
 * @param {(id: string) => {name: string, color: string, role: string} | undefined} options.person  anyone seen in this session
 * @param {{messages: object[], earlier: boolean}} options.log  the messages delivered so far (kept by the room page, so a redraw shows them)
 */
export function createChatPanel({ client, person, log }) {
  const isTeacher = () => client.me?.role === 'teacher';
  const nameOf = (id) => (id === client.me?.id ? t('chat.you') : (person(id)?.name ?? t('person.unknown')));
  /** The mode of the board a user writes, to word a "solved" message. */
  const modeOf = (id) => {
    const infos = client.boards.map((b) => b.info).filter(Boolean);
    return (infos.find((i) => i.members.includes(id)) ?? infos.find((i) => i.mode === 'shared'))?.mode;
  };

  // -- People ---------------------------------------------------------------
  const count = h('span', { class: 'badge', testid: 'participant-count' });
  const peopleList = h('ul', { class: 'people-list', testid: 'participants' });
  const people = h(
    'details',
    { class: 'people', open: true },
    h('summary', null, h('span', null, t('people.title')), count),
    peopleList,
  );

  function renderPeople() {
    const all = client.participants;
    const online = all.filter((p) => p.online).length;
    count.textContent = t('people.count', { count: all.length, online });
    count.title = t('people.countTitle', { count: all.length, online });
    const sorted = [...all].sort(
      (a, b) => (a.role === b.role ? 0 : a.role === 'teacher' ? -1 : 1) || Number(b.online) - Number(a.online),
    );
    replaceChildren(
      peopleList,
      sorted.map((p) => {
        const me = p.id === client.me?.id;
        const owner = p.id === client.owner;
        const actions = [];
        if (!me && client.chatBlocked(true) === null) {
          actions.push(
            h(
              'button',
              { class: 'icon-button', title: t('people.whisperTo', { name: p.name }), 'aria-label': t('people.whisperTo', { name: p.name }), onclick: () => whisperTo(p.id) },
              '✉︎',
            ),
          );
        }
        if (isTeacher() && p.role === 'student') {
          const label = t('rename.button', { name: p.name });
          actions.push(
            h('button', { class: 'icon-button', testid: 'rename', title: label, 'aria-label': label, onclick: () => openRenameDialog(client, p) }, '✎'),
            muteButton(client, p),
          );
        }
        const iAmOwner = client.owner === client.me?.id;
        if (isTeacher() && !me && !owner && (p.role === 'student' || iAmOwner)) {
          actions.push(
            h(
              'button',
              { class: 'icon-button danger', testid: 'kick', title: t('people.remove', { name: p.name }), 'aria-label': t('people.remove', { name: p.name }), onclick: () => removeParticipant(client, p) },
              '✕',
            ),
          );
        }
        if (iAmOwner && !me) {
          actions.push(
            h(
              'button',
              {
                class: 'icon-button',
                testid: 'make-owner',
                title: t('people.makeOwner', { name: p.name }),
                'aria-label': t('people.makeOwner', { name: p.name }),
                onclick: () => transferOwnership(client, p),
              },
              '👑',
            ),
          );
        }
        return h(
          'li',
          { class: 'person', testid: 'participant', dataset: { user: p.id, online: String(p.online) } },
          dot(p.color, { class: 'dot avatar' }),
          h(
            'span',
            { class: 'person-name' },
            p.name,
            me ? h('span', { class: 'muted' }, t('people.you')) : null,
            owner ? h('span', { class: 'tag', testid: 'owner-tag', title: t('people.ownerTitle') }, t('people.owner')) : null,
            p.role === 'teacher' && !owner ? h('span', { class: 'tag' }, t('people.teacher')) : null,
            mutedTag(client, p),
          ),
          presenceDot(p.online).el,
          h('span', { class: 'person-actions' }, actions),
        );
      }),
    );
    renderRecipients();
  }

  // -- Messages -------------------------------------------------------------
  const list = h('ol', { class: 'messages', testid: 'chat-list', 'aria-live': 'polite', 'aria-label': t('chat.messages') });
  const earlier = h('button', { class: 'link-button', hidden: true, onclick: loadEarlier }, t('chat.earlier'));
  const pendingList = h('ol', { class: 'messages' });
  // Focusable, so a keyboard can scroll a long conversation (messages themselves are not).
  const scroller = h('div', { class: 'messages-scroll', tabIndex: 0 }, earlier, list, pendingList);
  let firstSeq = null;

  function messageItem(m) {
    const props = { class: `message ${m.kind}`, testid: 'message', dataset: { kind: m.kind, seq: String(m.seq) } };
    if (m.kind === 'system') {
      return h(
        'li',
        props,
        h('span', { 'aria-hidden': 'true' }, SYSTEM_ICONS[m.event?.kind] ?? 'ℹ︎'),
        h('span', { testid: 'message-text' }, systemText(m, { nameOf: (id) => person(id)?.name, modeOf })),
      );
    }
    const author = person(m.from);
    const mine = m.from === client.me?.id;
    const head = [h('span', { class: 'author', testid: 'message-author', style: { color: textColor(author?.color) } }, nameOf(m.from))];
    if (author?.role === 'teacher' && m.from !== client.me?.id) head.push(h('span', { class: 'tag' }, t('people.teacher')));
    if (m.kind === 'whisper') {
      head.push(h('span', { class: 'whisper-to' }, t('chat.whisperTo', { name: m.to === client.me?.id ? t('chat.whisperToMe') : nameOf(m.to) })));
    }
    head.push(h('time', { dateTime: new Date(m.ts).toISOString() }, formatTime(m.ts)));
    const item = h('li', props, h('div', { class: 'message-head' }, head));
    if (mine) item.classList.add('mine');
    if (m.text) item.append(messageText(m.text));
    if (m.upload) {
      const stored = m.upload.url;
      const image = h('img', { alt: t('chat.pictureFrom', { name: nameOf(m.from) }), loading: 'lazy', testid: 'message-image' });
      // The link takes the grant of the moment it is opened, not of when it was drawn.
      const link = h('a', { target: '_blank', rel: 'noopener', class: 'message-picture' }, showPicture(image, 'src', stored, (url) => client.uploadUrl(url)));
      link.href = client.uploadUrl(stored);
      link.addEventListener('click', () => (link.href = client.uploadUrl(stored)));
      item.append(link);
    }
    return item;
  }

  function redrawMessages() {
    const top = scroller.scrollTop;
    list.replaceChildren(...log.messages.map(messageItem));
    scroller.scrollTop = top;
  }

  function nearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  }

  function addMessage(m) {
    const stick = nearBottom();
    firstSeq ??= m.seq;
    const item = messageItem(m);
    list.append(item);
    // Pictures change the height after loading; keep the newest in view.
    item.querySelector('img')?.addEventListener('load', () => {
      if (stick) scroller.scrollTop = scroller.scrollHeight;
    });
    if (stick || m.from === client.me?.id) scroller.scrollTop = scroller.scrollHeight;
  }

  async function loadEarlier() {
    earlier.disabled = true;
    try {
      const page = await client.history({ before: firstSeq ?? undefined, limit: 50 });
      const height = scroller.scrollHeight;
      log.messages.unshift(...page.messages.filter((m) => !log.messages.some((seen) => seen.seq === m.seq)));
      log.earlier = page.hasMore;
      list.prepend(...page.messages.map(messageItem));
      if (page.messages.length > 0) firstSeq = page.messages[0].seq;
      scroller.scrollTop += scroller.scrollHeight - height;
      earlier.hidden = !page.hasMore;
    } catch (err) {
      toast(describeError(err), 'error');
    } finally {
      earlier.disabled = false;
    }
  }

  // -- Composer -------------------------------------------------------------
  const recipients = h('select', { testid: 'chat-to', class: 'recipient', 'aria-label': t('chat.sendTo') });
  const input = h('input', {
    testid: 'chat-input',
    class: 'chat-input',
    placeholder: t('chat.placeholder'),
    // No maxLength: it would cut a pasted text silently. The counter below
    // says how much is too much, and sending waits until it fits.
    autocomplete: 'off',
    'aria-label': t('chat.message'),
  });
  const attach = h('input', {
    type: 'file',
    accept: 'image/gif,image/png,image/jpeg,image/webp',
    testid: 'chat-attach',
    class: 'visually-hidden',
    id: `chat-attach-${Math.random().toString(36).slice(2)}`,
    onchange: () => sendPicture(),
  });
  const attachLabel = h(
    'label',
    { for: attach.id, class: 'icon-button', title: t('chat.attach') },
    h('span', { 'aria-hidden': 'true' }, '🖼︎'),
    h('span', { class: 'visually-hidden' }, t('chat.attach')),
  );
  const send = h('button', { type: 'submit', class: 'button primary', testid: 'chat-send' }, t('chat.send'));
  const counter = lengthCounter();
  // Why a message went back into the composer (sent too fast), until one gets through.
  const notice = h('p', { class: 'composer-notice', testid: 'chat-notice', role: 'status', hidden: true });
  const rulesBar = createRulesBar(client);
  const composer = h(
    'form',
    { class: 'composer', onsubmit: sendText },
    rulesBar.el,
    recipients,
    h('div', { class: 'composer-row' }, attach, attachLabel, input, send),
    counter.el,
    notice,
  );
  const updateCount = () => {
    const fits = counter.update(input.value);
    send.disabled = !fits || client.chatBlocked() !== null;
    input.toggleAttribute('aria-invalid', !fits);
    return fits;
  };
  input.addEventListener('input', updateCount);

  // Refused messages put back at the start of the composer, in the order
  // they were sent, ahead of whatever was typed since: nothing is lost.
  let returnedChars = 0;
  function putBack(text) {
    const value = input.value;
    if (returnedChars > value.length) returnedChars = 0;
    const head = value.slice(0, returnedChars).trim();
    const rest = value.slice(returnedChars).trim();
    const returned = head ? `${head} ${text}` : text;
    input.value = rest ? `${returned} ${rest}` : returned;
    returnedChars = returned.length;
    updateCount();
  }

  function renderRecipients() {
    const chosen = recipients.value;
    // While a rule forbids my whispers, only "Everyone" is offered.
    const whisperable = client.chatBlocked(true) === null ? client.participants.filter((p) => p.id !== client.me?.id) : [];
    replaceChildren(
      recipients,
      h('option', { value: '' }, t('chat.everyone')),
      whisperable.map((p) => h('option', { value: p.id }, p.name)),
    );
    recipients.value = [...recipients.options].some((o) => o.value === chosen) ? chosen : '';
    updatePlaceholder();
  }

  function updatePlaceholder() {
    const to = recipients.value;
    input.placeholder = to ? t('chat.placeholderWhisper', { name: nameOf(to) }) : t('chat.placeholder');
    composer.classList.toggle('whispering', Boolean(to));
  }
  recipients.addEventListener('change', updatePlaceholder);

  function whisperTo(id) {
    recipients.value = id;
    updatePlaceholder();
    // On a tablet the chat sits below the board: do not scroll the board away.
    input.focus({ preventScroll: true });
  }

  function sendText(event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || !updateCount()) return;
    const to = recipients.value;
    input.value = '';
    returnedChars = 0;
    updateCount();
    const sent = to ? client.whisper(to, text) : client.chat(text);
    // Shown until the server has it (at once when online; after the
    // reconnect when the message waits in the offline queue).
    const pending = h(
      'li',
      { class: `message pending ${to ? 'whisper' : 'chat'} mine`, testid: 'message-pending' },
      h('div', { class: 'message-head' }, h('span', { class: 'author' }, t('chat.you')), h('time', null, t('chat.sending'))),
      h('div', { class: 'message-text' }, text),
    );
    pendingList.append(pending);
    scroller.scrollTop = scroller.scrollHeight;
    sent
      .then(() => {
        notice.hidden = true;
      })
      .catch((err) => {
        if (err?.code === 'rate_limited') {
          // Over the chat budget (PROTOCOL.md §10): the text comes back to
          // be sent again in a moment, with a notice rather than a toast
          // that fades while the person is still typing.
          putBack(text);
          notice.textContent = t('chat.rateLimited');
          notice.hidden = false;
          return;
        }
        if (!input.value) input.value = text;
        updateCount();
        // Sent but not answered: it may have been stored, and then shows up after the reconnect.
        toast(describeError(err, { disconnected: t('chat.lostInFlight') }), 'error');
      })
      .finally(() => pending.remove());
  }

  async function sendPicture() {
    const file = attach.files?.[0];
    attach.value = '';
    if (!file) return;
    const caption = input.value.trim();
    attachLabel.classList.add('busy');
    try {
      const upload = await client.upload(file, file.name || 'picture');
      await client.chat(caption, upload.uploadId);
      if (input.value.trim() === caption) input.value = '';
    } catch (err) {
      toast(describeError(err, { too_large: t('chat.pictureTooLarge') }), 'error');
    } finally {
      attachLabel.classList.remove('busy');
    }
  }

  /** The rules changed: the bar, the people's mute state, and whether I may write. */
  function applyRules() {
    rulesBar.render();
    const blocked = client.chatBlocked() !== null;
    for (const control of [input, recipients, attach]) control.disabled = blocked;
    attachLabel.classList.toggle('disabled', blocked);
    composer.classList.toggle('blocked', blocked);
    renderPeople();
    updateCount();
  }

  // -- Wiring ---------------------------------------------------------------
  const offs = [
    client.on('welcome', (w) => {
      if (!w.resumed) {
        list.replaceChildren();
        firstSeq = null;
      }
      earlier.hidden = !log.earlier;
    }),
    client.on('message', addMessage),
    client.on('participants', renderPeople),
    client.on('owner', renderPeople),
    client.on('chatrules', applyRules),
    // A new name: the conversation is shown again so it names the person as they are called now.
    client.on('presence', (e) => {
      // After the client's `participants` event, which updates the names this page knows.
      if (e.event === 'rename') queueMicrotask(redrawMessages);
    }),
  ];
  applyRules();
  // What was delivered before this panel was drawn (a redraw after a language switch).
  for (const m of log.messages) addMessage(m);
  earlier.hidden = !log.earlier;

  const el = h('aside', { class: 'chat-panel card' }, people, h('div', { class: 'chat' }, scroller, composer));
  return {
    el,
    destroy() {
      for (const off of offs) off();
    },
  };
}
