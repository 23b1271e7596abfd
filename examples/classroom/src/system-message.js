// The sentence for a system message in chat (joined, left, removed, owner
// changed, class ended, puzzle solved, the teacher's chat rules), written in the reader's language from
// the message's structured `event` rather than the server's English `text`.
//
// A person is named as this page knows them now (a teacher may have changed
// a student's name since), so history shows the same person under their
// current name. The event carries the names people had when it was stored,
// so someone who left or was removed before this page connected is still
// named; only messages stored by older servers lack them, and fall back to
// "someone".

import { t } from './i18n/index.js';

/** A duration in ms as the reader's language says it ("1 min 5 s", "1분 5초"); null if there is none. */
export function formatDuration(ms, tr = t) {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return null;
  const secs = Math.floor(ms / 1000);
  const [h, m, s] = [Math.floor(secs / 3600), Math.floor(secs / 60) % 60, secs % 60];
  if (h > 0) return tr('duration.h', { h, m });
  if (m > 0) return tr('duration.m', { m, s });
  return tr('duration.s', { s });
}

/**
 * @param {{kind: string, text: string, event: import('jigsync-client').SystemEvent | null}} message
 * @param {object} options
 * @param {(id: string) => string|undefined} options.nameOf  a person's name, if this page knows it
 * @param {(id: string) => string|undefined} [options.modeOf]  the mode of a board `id` writes
 *   ('individual' | 'groups' | 'shared'), if known: only for solves stored without their mode
 * @param {typeof t} [options.tr]  the lookup (the tests pass one for a given language)
 */
export function systemText(message, { nameOf, modeOf = () => undefined, tr = t }) {
  const event = message.event;
  if (!event) return message.text;
  // The name this page knows now (a teacher may have changed it since), else the one stored with the event.
  const name = (id, stored) => (id ? nameOf(id) : undefined) ?? stored ?? tr('person.unknown');
  const user = name(event.user, event.userName);
  switch (event.kind) {
    case 'join':
      return tr('system.join', { user });
    case 'leave':
      return tr('system.leave', { user });
    case 'kick':
      return event.by ? tr('system.kick', { user, by: name(event.by, event.byName) }) : tr('system.kickAnonymous', { user });
    case 'owner':
      return tr('system.owner', { user });
    case 'closed':
      return tr('system.closed', { user: event.by ? name(event.by, event.byName) : user });
    case 'solved': {
      const mode = event.mode ?? modeOf(event.user);
      const key = mode === 'shared' ? 'system.solvedClass' : mode === 'groups' ? 'system.solvedTeam' : 'system.solved';
      const took = formatDuration(event.tookMs, tr);
      return took ? tr(`${key}In`, { user, took }) : tr(key, { user });
    }
    case 'mute':
    case 'unmute':
      return tr(`system.${event.kind}`, { user, by: name(event.by, event.byName) });
    case 'chat_off':
    case 'chat_on':
    case 'whispers_off':
    case 'whispers_on':
      return tr(`system.${event.kind}`, { user });
    default:
      // A kind this app does not know yet: the server's own words are better than nothing.
      return message.text;
  }
}
