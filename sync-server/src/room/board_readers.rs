//! Each board's motion readers, listed once: a drag position goes to the
//! connections that may read its board, at the rate each one shows it. The
//! lists are worked out from the room core's connections and access rules
//! whenever anything that could change them happens (the core's readers
//! version: a join, a leave, a focus, a spotlight, a new puzzle, a
//! connection added or removed) and kept in the room's
//! [`super::motion_table`], so a move touches only its readers instead of
//! checking every connection of the room.

use rustc_hash::FxHashMap;

use jigsync_schema::{BoardId, Role};

use super::core::RoomCore;
use crate::outbox::motion::Rate;
use crate::outbox::{ConnId, MotionSender, Outbox};

pub struct Reader {
    pub conn: ConnId,
    pub rate: Rate,
    pub motion: MotionSender,
}

/// Every connection that may read `board`: at full rate unless it is a
/// teacher's with another board (or none) in focus.
pub fn readers(board: BoardId, core: &RoomCore, outboxes: &FxHashMap<ConnId, Outbox>) -> Vec<Reader> {
    let Some(b) = core.boards.get(board) else {
        return Vec::new();
    };
    let access = core.access();
    core.conns
        .iter()
        .filter(|(_, c)| access.may_read_as(c.role, &c.user, &b.row))
        .filter_map(|(conn, c)| {
            let rate = match c.role {
                Role::Teacher if c.focus != Some(board) => Rate::Thumbnail,
                _ => Rate::Full,
            };
            let motion = outboxes.get(&conn)?.motion_sender();
            Some(Reader { conn, rate, motion })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    //! The lists are kept across changes to the room, and every change that
    //! alters who reads a board must show: after each step, a move reaches
    //! exactly the connections (and at the rates) that checking every
    //! connection of the room against the access rules gives, whether the
    //! actor relays it or the mover's session does through the motion table.

    use std::collections::BTreeMap;

    use jigsync_schema::ClientMsg;

    use crate::outbox::motion::Rate;
    use crate::room::core::Input;
    use crate::room::test_class::{Class, T};

    #[test]
    fn a_move_reaches_the_readers_the_access_rules_give_after_every_change() {
        let mut class = Class::new();
        let teacher = class.connect(T);
        let (ann, ben, cat) = (class.connect("ann"), class.connect("ben"), class.connect("cat"));
        let (anns, bens) = (class.board_of("ann"), class.board_of("ben"));
        class.check("a board's student and the teacher's thumbnail", anns, ann);
        assert_eq!(class.expected(anns, ann), BTreeMap::from([(teacher, Rate::Thumbnail)]));

        let second_tab = class.connect("ann");
        class.check("a second connection of the student", anns, ann);
        assert!(class.expected(anns, ann).contains_key(&second_tab));

        class.request(teacher, ClientMsg::Focus { r#ref: None, board: Some(anns) });
        class.check("the teacher focuses the board", anns, ann);
        assert_eq!(class.expected(anns, ann)[&teacher], Rate::Full);
        class.request(teacher, ClientMsg::Focus { r#ref: None, board: Some(bens) });
        class.check("the teacher focuses another board", anns, ann);

        class.request(teacher, ClientMsg::Spotlight { r#ref: None, board: Some(anns), hide_names: false });
        class.check("the board in the spotlight", anns, ann);
        assert!(class.expected(anns, ann).contains_key(&ben));
        class.request(teacher, ClientMsg::Spotlight { r#ref: None, board: Some(anns), hide_names: true });
        class.check("the spotlight hides names", anns, ann);

        class.request(teacher, ClientMsg::Kick { r#ref: None, user: "ben".into() });
        class.deliveries.remove(ben);
        class.receivers.remove(&ben);
        class.check("a spotlit board's reader removed", anns, ann);

        class.request(cat, ClientMsg::Leave { r#ref: None });
        class.check("a reader left", anns, ann);

        class.request(teacher, ClientMsg::Spotlight { r#ref: None, board: None, hide_names: false });
        class.check("the spotlight off", anns, ann);
        assert!(!class.expected(anns, ann).contains_key(&cat));

        class.run(Input::Disconnect(teacher));
        class.deliveries.remove(teacher);
        class.check("the teacher disconnected", anns, ann);
        assert_eq!(class.expected(anns, ann), BTreeMap::from([(second_tab, Rate::Full)]));
    }
}
