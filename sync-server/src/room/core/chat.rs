//! The room's message log as the core sees it: the next sequence number,
//! how chat, whispers and system messages are staged, and who may see each.

use jigsync_schema::limits::MAX_TEXT_CHARS;
use jigsync_schema::{Attachment, Message, MessageKind, SystemEvent};

use super::effects::Audience;
use super::roster::Roster;
use super::staged::Staged;
use crate::error::ApiError;
use crate::storage::Write;

pub struct Chat {
    next_seq: u64,
}

impl Chat {
    /// A log whose last stored message is `last_seq` (0 for none).
    pub fn after(last_seq: u64) -> Chat {
        Chat { next_seq: last_seq + 1 }
    }

    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Stages a message with the next free seq; returns it as stored.
    pub fn stage(&self, staged: &mut Staged, room: &str, message: Message) -> Message {
        let message = Message { seq: self.next_seq + staged.messages, ..message };
        staged.messages += 1;
        staged.writes.push(Write::Message { room: room.to_owned(), message: message.clone() });
        message
    }

    /// Stages a system message: its event, and `text` in English for clients
    /// that do not render the event themselves.
    pub fn stage_system(&self, staged: &mut Staged, room: &str, at: i64, event: SystemEvent, text: String) -> Message {
        self.stage(staged, room, message(at, MessageKind::System, None, None, text, None, Some(event)))
    }

    /// Chat text checked and staged, with its picture if any.
    pub fn stage_chat(
        &self,
        staged: &mut Staged,
        room: &str,
        at: i64,
        from: &str,
        text: &str,
        upload: Option<Attachment>,
    ) -> Result<Message, ApiError> {
        let text = crate::validate::text(text, MAX_TEXT_CHARS, upload.is_some())?;
        Ok(self.stage(staged, room, message(at, MessageKind::Chat, Some(from), None, text, upload, None)))
    }

    /// A whisper: checked text, not to oneself, to an active member.
    pub fn stage_whisper(
        &self,
        staged: &mut Staged,
        (room, roster): (&str, &Roster),
        at: i64,
        (from, to): (&str, &str),
        text: &str,
    ) -> Result<Message, ApiError> {
        let text = crate::validate::text(text, MAX_TEXT_CHARS, false)?;
        if to == from {
            return Err(ApiError::invalid("cannot whisper to yourself"));
        }
        if roster.active(to).is_none() {
            return Err(ApiError::not_found("no such participant"));
        }
        Ok(self.stage(staged, room, message(at, MessageKind::Whisper, Some(from), Some(to), text, None, None)))
    }

    /// Messages are stored: the seqs they took are used.
    pub fn posted(&mut self, messages: &[Message]) {
        if let Some(last) = messages.iter().map(|m| m.seq).max() {
            self.next_seq = self.next_seq.max(last + 1);
        }
    }

    /// A commit failed: take the seq storage holds, so a clash cannot repeat.
    pub fn resync(&mut self, last_seq: u64) {
        self.next_seq = last_seq + 1;
    }
}

/// Who sees a message: whispers their two parties and the room's teachers
/// (a school must be able to see what students send each other), the rest
/// everyone.
pub fn audience(message: &Message) -> Audience {
    match message.kind {
        MessageKind::Whisper => {
            Audience::UsersAndTeachers([&message.from, &message.to].into_iter().flatten().cloned().collect())
        }
        MessageKind::Chat | MessageKind::System => Audience::Everyone,
    }
}

/// The ack of a request whose writes include messages: it carries the first
/// one's seq.
pub fn ack_seq(staged: &Staged) -> Option<u64> {
    staged.writes.iter().find_map(|w| match w {
        Write::Message { message, .. } => Some(message.seq),
        _ => None,
    })
}

fn message(
    at: i64,
    kind: MessageKind,
    from: Option<&str>,
    to: Option<&str>,
    text: String,
    upload: Option<Attachment>,
    event: Option<SystemEvent>,
) -> Message {
    Message { seq: 0, ts: at, kind, from: from.map(str::to_owned), to: to.map(str::to_owned), text, upload, event }
}
