// The sentence for a system message in chat (joined, left, removed, owner
// changed, class ended, puzzle solved), written in the reader's language from
// the message's structured `event` rather than the server's English `text`.
//
// The event names people by id only. Names come from the people this page
// has seen; for someone it never saw (a student who left before this tab
// connected) the name, and a solve's duration, are read back from the
// server's English text, whose wording is fixed (PROTOCOL.md §5). Only
// names and numbers are taken from it: the sentence is always the
// catalogue's.

import { t } from './i18n/index.js';

/** What the server's text says, by event kind: `user`, `by` and `took` (a duration). */
const SERVER_TEXT = {
  join: [/^(?<user>.+) joined$/],
  leave: [/^(?<user>.+) left$/],
  kick: [/^(?<user>.+) was removed by (?<by>.+)$/],
  owner: [/^(?<user>.+) is now the room owner$/],
  closed: [/^(?<user>.+) closed the room$/],
  solved: [
    /^The class puzzle is solved! (?<user>.+) placed the last piece after (?<took>.+)$/,
    /^(?<user>.+)'s team solved their puzzle in (?<took>.+)$/,
    /^(?<user>.+) solved their puzzle in (?<took>.+)$/,
  ],
};

function readServerText(kind, text) {
  for (const pattern of SERVER_TEXT[kind] ?? []) {
    const match = pattern.exec(text ?? '');
    if (match) return { ...match.groups, pattern: SERVER_TEXT[kind].indexOf(pattern) };
  }
  return {};
}

/** "1m 5s" / "2h 3m" / "42s" (the server's durations) in the reader's language; null if unreadable. */
export function translateDuration(text, tr = t) {
  const match = /^(?:(\d+)h )?(?:(\d+)m)?(?: ?(\d+)s)?$/.exec(String(text ?? '').trim());
  if (!match || !text) return null;
  const [, h, m, s] = match;
  if (h !== undefined) return tr('duration.h', { h, m: m ?? 0 });
  if (m !== undefined) return tr('duration.m', { m, s: s ?? 0 });
  if (s !== undefined) return tr('duration.s', { s });
  return null;
}

/**
 * @param {{kind: string, text: string, event: {kind: string, user: string, by?: string|null}}} message
 * @param {object} options
 * @param {(id: string) => string|undefined} options.nameOf  a person's name, if this page knows it
 * @param {(id: string) => string|undefined} [options.modeOf]  the mode of a board `id` writes
 *   ('individual' | 'groups' | 'shared'), if known
 * @param {typeof t} [options.tr]  the lookup (the tests pass one for a given language)
 */
export function systemText(message, { nameOf, modeOf = () => undefined, tr = t }) {
  const event = message.event;
  if (!event) return message.text;
  const fromText = readServerText(event.kind, message.text);
  const name = (id, fallback) => (id ? nameOf(id) : undefined) ?? fallback ?? tr('person.unknown');
  const user = name(event.user, fromText.user);
  switch (event.kind) {
    case 'join':
      return tr('system.join', { user });
    case 'leave':
      return tr('system.leave', { user });
    case 'kick':
      return event.by ? tr('system.kick', { user, by: name(event.by, fromText.by) }) : tr('system.kickAnonymous', { user });
    case 'owner':
      return tr('system.owner', { user });
    case 'closed':
      return tr('system.closed', { user: name(event.by ?? event.user, fromText.user) });
    case 'solved': {
      // The server's wording names the board's mode; the boards this page
      // knows are the fallback (a teacher's drop can solve a student's board).
      const mode = ['shared', 'groups', 'individual'][fromText.pattern] ?? modeOf(event.user);
      const key = mode === 'shared' ? 'system.solvedClass' : mode === 'groups' ? 'system.solvedTeam' : 'system.solved';
      const took = translateDuration(fromText.took, tr);
      return took ? tr(`${key}In`, { user, took }) : tr(key, { user });
    }
    default:
      // A kind this app does not know yet: the server's own words are better than nothing.
      return message.text;
  }
}
