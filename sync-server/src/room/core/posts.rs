//! Chat and whispers that queued up while the room waited for a commit,
//! staged as one change: one transaction for all of them, each still
//! answered on its own (its ack with its own seq, or its own error). In a
//! busy class a burst of thirty messages then costs a commit or two, not
//! thirty in a row, and the last sender does not wait for all the others.

use jigsync_schema::{Attachment, ClientMsg, Ref};

use super::membership::Req;
use super::staged::{Event, Staged};
use super::{Ctx, RoomCore};
use crate::error::ApiError;
use crate::outbox::ConnId;

/// The most posts staged together.
pub const MAX_POSTS: usize = 64;

/// A chat or whisper, with the picture a chat attaches (looked up first).
pub struct Post {
    pub conn: ConnId,
    pub msg: ClientMsg,
    pub upload: Option<Attachment>,
}

/// Posts staged together.
#[derive(Default)]
pub struct Posts {
    pub staged: Staged,
    /// Who gets an ack if the commit holds (an error if it fails).
    pub accepted: Vec<(ConnId, Option<Ref>)>,
    /// Refused before any commit, each for its own reason.
    pub refused: Vec<(ConnId, Option<Ref>, ApiError)>,
}

/// Whether a request may join a batch of posts: it only adds a message, so
/// staging it reads nothing an earlier post of the batch would change.
pub fn is_post(msg: &ClientMsg) -> bool {
    matches!(msg, ClientMsg::Chat { .. } | ClientMsg::Whisper { .. })
}

impl RoomCore {
    /// Stages each post after the ones before it (consecutive seqs) into one
    /// change. A post that is not a chat or whisper, or is refused, stays
    /// out of it; a post from a connection that is gone is dropped.
    pub fn stage_posts(&mut self, posts: Vec<Post>, ctx: &Ctx) -> Posts {
        let mut out = Posts::default();
        for Post { conn, msg, upload } in posts {
            let r#ref = msg.request_ref();
            let Some(req) = Req::on(&self.conns, conn, r#ref) else {
                continue;
            };
            let mut one = Staged { messages: out.staged.messages, boards: out.staged.boards, ..Staged::default() };
            match self.stage_post(&mut one, &req, msg, upload, ctx.now_ms) {
                Ok(()) => {
                    out.staged.append(one);
                    out.accepted.push((conn, r#ref));
                }
                Err(err) => out.refused.push((conn, r#ref, err)),
            }
        }
        out
    }

    /// Stages one chat or whisper into `staged`, a change of its own that
    /// counts on from `staged.messages`: the message, then its ack and its
    /// delivery.
    pub(super) fn stage_post(
        &self,
        staged: &mut Staged,
        req: &Req,
        msg: ClientMsg,
        upload: Option<Attachment>,
        at: i64,
    ) -> Result<(), ApiError> {
        let room = self.room.id.as_str();
        let whisper = matches!(msg, ClientMsg::Whisper { .. });
        super::chat_rules::require_may_post(&self.room, &self.roster, &req.user, whisper)?;
        let message = match msg {
            ClientMsg::Chat { text, .. } => self.chat.stage_chat(staged, room, at, &req.user, &text, upload)?,
            ClientMsg::Whisper { to, text, .. } => {
                self.chat.stage_whisper(staged, (room, &self.roster), at, (&req.user, &to), &text)?
            }
            _ => return Err(ApiError::invalid("only chat and whispers are posts")),
        };
        staged.push(req.ack(staged));
        staged.push(Event::Posted(vec![message]));
        Ok(())
    }
}
