//! The room core on its own: no sockets, no storage, no server. Each test
//! stages inputs, "commits" by applying, and checks the writes and the
//! effects the core asks for.

use std::time::Instant;

use jigsync_schema::server::PresenceEvent;
use jigsync_schema::{
    BoardMode, ClientMsg, CloseCode, ErrorCode, MessageKind, Role, ServerMsg, SystemEvent, SystemEventKind, WhisperRule,
};
use yrs::updates::decoder::Decode;
use yrs::{Any, Map, Transact};

use super::effects::{Audience, Effect};
use super::snapshot::snapshot;
use super::*;
use crate::room::test_class::spec;
use crate::storage::{MemberStatus, Write};

const T: &str = "teacher";
const ANN: &str = "ann";
const BEN: &str = "ben";

fn ctx(now_ms: i64) -> Ctx {
    Ctx { now_ms, now: Instant::now(), seed: 7 }
}

fn member(user: &str, role: Role, joined_at: i64) -> MemberRow {
    MemberRow {
        room: "r1".into(),
        user: user.into(),
        name: user.to_uppercase(),
        role,
        joined_at,
        status: MemberStatus::Active,
        color: "#123456".into(),
        muted: false,
    }
}

/// A room owned by the teacher, with Ann and Ben, each connected once
/// (connections 1, 2, 3).
fn classroom() -> RoomCore {
    let room = crate::room::test_class::room_row();
    let members = vec![member(T, Role::Teacher, 1), member(ANN, Role::Student, 2), member(BEN, Role::Student, 3)];
    let mut core = RoomCore::new(room, members, 0, BoardSet::new(None, Vec::new(), (0, 0)));
    for (conn, user) in [(1, T), (2, ANN), (3, BEN)] {
        let input = Input::connect_fresh(conn, user);
        commit(&mut core, input);
    }
    core
}

/// Stages and applies; panics on a refusal.
fn commit(core: &mut RoomCore, input: Input) -> (Vec<Write>, Vec<Effect>) {
    let staged = core.stage(input, &ctx(1_000)).expect("accepted");
    let writes = staged.writes.clone();
    (writes, core.apply(staged).into_vec())
}

fn request(conn: ConnId, msg: ClientMsg) -> Input {
    Input::Request { conn, msg, upload: None }
}

fn refusal(core: &mut RoomCore, input: Input) -> ErrorCode {
    match core.stage(input, &ctx(1_000)) {
        Err(err) => err.code,
        Ok(_) => panic!("expected a refusal"),
    }
}

/// A puzzle with one board per student; returns (Ann's board, Ben's board).
fn individual_puzzle(core: &mut RoomCore) -> (BoardId, BoardId) {
    commit(core, Input::StartPuzzle { by: T.into(), spec: spec(BoardMode::Individual) });
    let access = core.access();
    let of = |user: &str| {
        core.boards
            .iter()
            .find(|b| access.may_write(user, &b.row) && !b.row.members.is_empty() && b.row.members[0] == user)
            .map(|b| b.id())
    };
    (of(ANN).unwrap(), of(BEN).unwrap())
}

/// Ann's replica of a board: the update that drops `piece` at (x, y).
fn drop_update(core: &RoomCore, board: BoardId, piece: u32, at: (f64, f64)) -> Vec<u8> {
    place_update(core, board, &[(piece, at)])
}

/// Ann's replica of a board: the update that drops each piece where given.
fn place_update(core: &RoomCore, board: BoardId, drops: &[(u32, (f64, f64))]) -> Vec<u8> {
    let state = core.boards.get(board).unwrap().doc.state().unwrap();
    let replica = yrs::Doc::new();
    let pieces = replica.get_or_insert_map("pieces");
    replica.transact_mut().apply_update(yrs::Update::decode_v1(&state).unwrap()).unwrap();
    let mut txn = replica.transact_mut();
    for &(piece, (x, y)) in drops {
        let value: std::collections::HashMap<String, Any> =
            [("x", x), ("y", y), ("r", 0.0), ("z", 9.0), ("g", f64::from(piece))]
                .map(|(k, v)| (k.to_owned(), Any::from(v)))
                .into();
        pieces.insert(&mut txn, piece.to_string(), Any::Map(value.into()));
    }
    txn.encode_update_v1()
}

/// The system event of the one message among `writes`.
fn stored_event(writes: &[Write]) -> SystemEvent {
    writes
        .iter()
        .find_map(|w| match w {
            Write::Message { message, .. } => message.event.clone(),
            _ => None,
        })
        .expect("a system message")
}

#[test]
fn a_chat_takes_the_next_seq_only_once_committed_and_is_acked_before_it_goes_out() {
    let mut core = classroom();
    let chat = || request(2, ClientMsg::Chat { r#ref: Some(5), text: "안녕".into(), upload: None });
    let first = core.stage(chat(), &ctx(10)).unwrap();
    let again = core.stage(chat(), &ctx(10)).unwrap();
    let seq = |s: &Staged| match &s.writes[..] {
        [Write::Message { message, .. }] => message.seq,
        other => panic!("{other:?}"),
    };
    assert_eq!((seq(&first), seq(&again)), (1, 1), "staging alone uses no seq");
    let effects = core.apply(first);
    assert_eq!(effects[0], Effect::Send(Audience::Conn(2), ServerMsg::Ack { r#ref: Some(5), seq: Some(1) }));
    assert!(
        matches!(&effects[1], Effect::Send(Audience::Everyone, ServerMsg::Msg(m)) if m.text == "안녕" && m.seq == 1)
    );
    assert_eq!(seq(&core.stage(chat(), &ctx(11)).unwrap()), 2);
}

#[test]
fn posts_staged_together_take_consecutive_seqs_and_each_is_answered_alone() {
    use super::posts::Post;
    let mut core = classroom();
    let post = |conn, msg: ClientMsg| Post { conn, msg, upload: None };
    let chat = |r: u32, text: &str| ClientMsg::Chat { r#ref: Some(r), text: text.into(), upload: None };
    let posts = vec![
        post(2, chat(1, "one")),
        post(3, chat(2, "   ")),
        post(3, ClientMsg::Whisper { r#ref: Some(3), to: ANN.into(), text: "two".into() }),
        post(9, chat(4, "from a connection that is gone")),
        post(1, chat(5, "three")),
    ];
    let batch = core.stage_posts(posts, &ctx(10));
    let seqs: Vec<u64> = batch
        .staged
        .writes
        .iter()
        .map(|w| match w {
            Write::Message { message, .. } => message.seq,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(seqs, [1, 2, 3], "one write per accepted post, numbered in order");
    assert_eq!(batch.accepted, [(2, Some(1)), (3, Some(3)), (1, Some(5))]);
    assert!(matches!(&batch.refused[..], [(3, Some(2), err)] if err.code == ErrorCode::Invalid));
    assert_eq!(core.chat.next_seq(), 1, "nothing is used before the commit");

    let effects = core.apply(batch.staged).into_vec();
    let acks: Vec<&Effect> = effects.iter().filter(|e| matches!(e, Effect::Send(Audience::Conn(_), _))).collect();
    assert_eq!(
        acks,
        [
            &Effect::Send(Audience::Conn(2), ServerMsg::Ack { r#ref: Some(1), seq: Some(1) }),
            &Effect::Send(Audience::Conn(3), ServerMsg::Ack { r#ref: Some(3), seq: Some(2) }),
            &Effect::Send(Audience::Conn(1), ServerMsg::Ack { r#ref: Some(5), seq: Some(3) }),
        ]
    );
    assert!(matches!(&effects[1], Effect::Send(Audience::Everyone, ServerMsg::Msg(m)) if m.seq == 1));
    assert_eq!(core.chat.next_seq(), 4);
}

#[test]
fn a_whisper_goes_to_its_two_parties_and_the_teachers() {
    let mut core = classroom();
    let (_, effects) =
        commit(&mut core, request(2, ClientMsg::Whisper { r#ref: None, to: BEN.into(), text: "psst".into() }));
    assert!(matches!(
        &effects[1],
        Effect::Send(Audience::UsersAndTeachers(users), ServerMsg::Msg(m)) if m.kind == MessageKind::Whisper && users == &[ANN.to_owned(), BEN.to_owned()]
    ));
    let to_self = request(2, ClientMsg::Whisper { r#ref: None, to: ANN.into(), text: "me".into() });
    assert_eq!(refusal(&mut core, to_self), ErrorCode::Invalid);
}

#[test]
fn kick_closes_the_student_and_releases_what_they_held() {
    let mut core = classroom();
    let (ann_board, _) = individual_puzzle(&mut core);
    commit(&mut core, request(2, ClientMsg::Grab { r#ref: None, board: ann_board, piece: 1 }));
    assert!(!core.boards.get(ann_board).unwrap().locks.is_empty());
    let (writes, effects) = commit(&mut core, request(1, ClientMsg::Kick { r#ref: Some(1), user: ANN.into() }));
    assert!(matches!(&writes[..], [Write::Message { .. }, Write::Member(row)] if row.status == MemberStatus::Kicked));
    assert_eq!(
        effects[0],
        Effect::Send(Audience::Conn(1), ServerMsg::Ack { r#ref: Some(1), seq: Some(writes_seq(&writes)) })
    );
    assert!(matches!(&effects[1], Effect::Close { conns, code: CloseCode::Forbidden, .. } if conns == &[2]));
    let release =
        effects.iter().position(|e| matches!(e, Effect::ToReaders { msg: ServerMsg::Release { piece: 1, .. }, .. }));
    let leave = effects.iter().position(|e| {
        matches!(e, Effect::Send(Audience::Everyone, ServerMsg::Presence { event: PresenceEvent::Leave, .. }))
    });
    assert!(release.is_some() && release < leave, "the lock ends at once, not after its timeout: {effects:?}");
    assert!(core.boards.get(ann_board).unwrap().locks.is_empty());
    assert!(core.conns.get(2).is_none());
}

#[test]
fn system_messages_keep_the_names_of_the_people_they_are_about() {
    let mut core = classroom();
    let (writes, _) = commit(&mut core, Input::Admit(member("dan", Role::Student, 4)));
    let joined = stored_event(&writes);
    assert_eq!((joined.kind, joined.user_name.as_deref(), joined.by_name), (SystemEventKind::Join, Some("DAN"), None));
    let (writes, _) = commit(&mut core, request(1, ClientMsg::Kick { r#ref: None, user: ANN.into() }));
    let kicked = stored_event(&writes);
    assert_eq!((kicked.user_name.as_deref(), kicked.by_name.as_deref()), (Some("ANN"), Some("TEACHER")));
    let (writes, _) = commit(&mut core, request(3, ClientMsg::Leave { r#ref: None }));
    assert_eq!(stored_event(&writes).user_name.as_deref(), Some("BEN"));
    let (writes, _) = commit(&mut core, request(1, ClientMsg::TransferOwner { r#ref: None, user: "dan".into() }));
    let handed = stored_event(&writes);
    assert_eq!((handed.user_name.as_deref(), handed.by_name.as_deref()), (Some("DAN"), Some("TEACHER")));
}

#[test]
fn a_name_already_in_the_room_gets_a_number_and_keeps_it() {
    let mut core = classroom();
    let second = core.new_member("ann2".into(), "ann".into(), Role::Student, 5);
    assert_eq!(second.name, "ann 2", "compared ignoring case, numbered from 2");
    commit(&mut core, Input::Admit(second));
    commit(&mut core, request(2, ClientMsg::Leave { r#ref: None }));
    // Whoever left still holds their name: history names them.
    assert_eq!(core.new_member("ann3".into(), "ANN".into(), Role::Student, 6).name, "ANN 3");
    assert_eq!(core.new_member("x".into(), "Dan".into(), Role::Teacher, 6).name, "Dan");
}

#[test]
fn while_joining_is_locked_no_student_gets_in_but_members_and_co_teachers_do() {
    let mut core = classroom();
    assert_eq!(
        refusal(&mut core, request(2, ClientMsg::LockJoining { r#ref: None, locked: true })),
        ErrorCode::Forbidden
    );
    let (writes, effects) = commit(&mut core, request(1, ClientMsg::LockJoining { r#ref: Some(4), locked: true }));
    assert!(matches!(&writes[..], [Write::JoinLock { locked: true, .. }]), "{writes:?}");
    assert_eq!(effects[0], Effect::Send(Audience::Conn(1), ServerMsg::Ack { r#ref: Some(4), seq: None }));
    assert_eq!(effects[1], Effect::Send(Audience::Everyone, ServerMsg::Joining { locked: true }));
    // A new student (a removed one coming back under a new name too) is refused.
    commit(&mut core, request(1, ClientMsg::Kick { r#ref: None, user: ANN.into() }));
    let again = core.new_member("ann-again".into(), "ANN".into(), Role::Student, 9);
    assert_eq!(refusal(&mut core, Input::Admit(again)), ErrorCode::Locked);
    // A co-teacher is added on purpose; a student who left comes back with their token.
    commit(&mut core, Input::Admit(member("co", Role::Teacher, 9)));
    commit(&mut core, request(3, ClientMsg::Leave { r#ref: None }));
    commit(&mut core, Input::Rejoin(BEN.into()));
    assert!(core.roster.active(BEN).is_some());
    // A welcome says the room is locked.
    let input = Input::connect_fresh(9, "co");
    let (_, effects) = commit(&mut core, input);
    assert!(effects.iter().any(|e| matches!(e, Effect::Send(_, ServerMsg::Welcome { join_locked: true, .. }))));
    // Opened again, students join.
    commit(&mut core, request(1, ClientMsg::LockJoining { r#ref: None, locked: false }));
    let dan = core.new_member("dan".into(), "Dan".into(), Role::Student, 10);
    commit(&mut core, Input::Admit(dan));
    assert!(core.roster.active("dan").is_some());
}

#[test]
fn a_solve_names_its_board_mode_and_the_time_since_the_puzzle_started() {
    let mut core = classroom();
    let (ann_board, _) = individual_puzzle(&mut core);
    let (pw, ph) = (100.0, 75.0);
    let drops: Vec<_> = (0..4).map(|i| (i, (50.0 + f64::from(i % 2) * pw, 60.0 + f64::from(i / 2) * ph))).collect();
    let update = place_update(&core, ann_board, &drops);
    let msg = ClientMsg::Update { r#ref: None, board: ann_board, update, release: None };
    let staged = core.stage(request(2, msg), &ctx(66_000)).expect("accepted");
    let solved = stored_event(&staged.writes);
    let expected = SystemEvent {
        kind: SystemEventKind::Solved,
        user: ANN.into(),
        by: None,
        user_name: Some("ANN".into()),
        by_name: None,
        board: Some(ann_board),
        mode: Some(BoardMode::Individual),
        took_ms: Some(65_000),
    };
    assert_eq!(solved, expected);
}

fn writes_seq(writes: &[Write]) -> u64 {
    writes.iter().find_map(|w| if let Write::Message { message, .. } = w { Some(message.seq) } else { None }).unwrap()
}

#[test]
fn an_owner_who_leaves_hands_the_room_to_a_present_teacher() {
    let mut core = classroom();
    commit(&mut core, Input::Admit(member("co", Role::Teacher, 4)));
    commit(&mut core, Input::connect_fresh(4, "co"));
    let (writes, effects) = commit(&mut core, request(1, ClientMsg::Leave { r#ref: None }));
    assert!(writes.iter().any(|w| matches!(w, Write::Owner { owner: Some(next), .. } if next == "co")));
    assert!(effects.contains(&Effect::Send(Audience::Everyone, ServerMsg::Owner { user: Some("co".into()) })));
    assert!(
        matches!(effects.last(), Some(Effect::Close { conns, code: CloseCode::Normal, .. }) if conns == &[1]),
        "{effects:?}"
    );
    assert_eq!(core.room.owner.as_deref(), Some("co"));
}

#[test]
fn a_drop_with_an_invalid_piece_is_stored_with_its_correction_and_answered_invalid() {
    let mut core = classroom();
    let (ann_board, _) = individual_puzzle(&mut core);
    let before = core.boards.get(ann_board).unwrap().doc.pieces()[0];
    let update = drop_update(&core, ann_board, 0, (f64::NAN, 5.0));
    let msg = ClientMsg::Update { r#ref: Some(3), board: ann_board, update, release: None };
    let (writes, effects) = commit(&mut core, request(2, msg));
    assert!(
        matches!(
            &writes[..],
            [Write::BoardUpdate { seq: 2, .. }, Write::BoardUpdate { seq: 3, .. }, Write::Progress { by: Some(by), .. }]
                if by == ANN
        ),
        "{writes:?}"
    );
    assert!(matches!(&effects[0], Effect::Send(Audience::Conn(2), ServerMsg::Error { code: ErrorCode::Invalid, .. })));
    assert!(matches!(
        &effects[1],
        Effect::ToReaders { except: Some(2), msg: ServerMsg::Update { by: Some(_), .. }, .. }
    ));
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::ToReaders { except: None, msg: ServerMsg::Update { by: None, .. }, .. })));
    let b = core.boards.get(ann_board).unwrap();
    assert_eq!((b.doc.pieces()[0], b.log.next_seq), (before, 4));
}

#[test]
fn the_first_grab_wins_and_a_move_goes_to_the_readers_motion_lane() {
    let mut core = classroom();
    commit(&mut core, Input::StartPuzzle { by: T.into(), spec: spec(BoardMode::Shared) });
    let board = core.boards.ids()[0];
    let (_, effects) = commit(&mut core, request(2, ClientMsg::Grab { r#ref: Some(1), board, piece: 3 }));
    assert_eq!(effects[0], Effect::Send(Audience::Conn(2), ServerMsg::Ack { r#ref: Some(1), seq: None }));
    assert!(
        matches!(&effects[1], Effect::ToReaders { msg: ServerMsg::Grab { piece: 3, by: Some(by), .. }, .. } if by == ANN)
    );
    assert_eq!(refusal(&mut core, request(3, ClientMsg::Grab { r#ref: None, board, piece: 3 })), ErrorCode::Busy);
    let mv = jigsync_schema::Move { board, piece: 3, x: 50.0, y: 60.0, seq: 1, t: 0 };
    let (_, effects) = commit(&mut core, request(2, ClientMsg::Move(mv)));
    assert_eq!(effects, vec![Effect::Motion { mv, except: 2 }], "the holder's move only refreshes its lock");
    let off_board = jigsync_schema::Move { x: -5.0, ..mv };
    assert_eq!(refusal(&mut core, request(2, ClientMsg::Move(off_board))), ErrorCode::Invalid);
}

#[test]
fn a_spotlight_sends_the_board_to_the_students_who_could_not_read_it() {
    let mut core = classroom();
    let (ann_board, _) = individual_puzzle(&mut core);
    let spotlight = ClientMsg::Spotlight { r#ref: None, board: Some(ann_board), hide_names: true };
    let (writes, effects) = commit(&mut core, request(1, spotlight));
    assert!(
        matches!(&writes[..], [Write::Spotlight { spotlight: Some(s), .. }] if s.board == ann_board && s.hide_names)
    );
    assert!(effects.contains(&Effect::BoardLists));
    assert!(effects.contains(&Effect::DocTo { conns: vec![3], board: ann_board }), "only Ben lacked it: {effects:?}");
    let access = core.access();
    let row = &core.boards.get(ann_board).unwrap().row;
    assert!(access.may_read(BEN, row) && !access.may_write(BEN, row) && access.names_hidden(BEN, row));
    assert_eq!(refusal(&mut core, request(3, ClientMsg::Focus { r#ref: None, board: None })), ErrorCode::Forbidden);
}

#[test]
fn staging_changes_nothing_and_an_aborted_write_only_marks_its_board_for_rebuilding() {
    let mut core = classroom();
    let (ann_board, _) = individual_puzzle(&mut core);
    let before = snapshot(&core);
    for msg in [
        ClientMsg::Kick { r#ref: None, user: BEN.into() },
        ClientMsg::Lock { r#ref: None, board: None, locked: true },
        ClientMsg::Chat { r#ref: None, text: "hi".into(), upload: None },
        ClientMsg::CloseRoom { r#ref: None },
    ] {
        let staged = core.stage(request(1, msg), &ctx(5)).unwrap();
        core.abort(&staged);
        assert_eq!(snapshot(&core), before);
    }
    let update = drop_update(&core, ann_board, 2, (10.0, 10.0));
    let staged = core
        .stage(request(2, ClientMsg::Update { r#ref: None, board: ann_board, update, release: None }), &ctx(5))
        .unwrap();
    assert_eq!(staged.touched_board, Some(ann_board));
    core.abort(&staged);
    let b = core.boards.get(ann_board).unwrap();
    assert!(b.stale, "the document took the write and must be rebuilt");
    assert_eq!(b.doc.pieces(), before.boards.iter().find(|s| s.row.id == ann_board).unwrap().pieces);
    assert_eq!(core.boards_to_rebuild().len(), 1);
}

#[test]
fn chat_rules_hold_students_back_but_never_teachers() {
    let mut core = classroom();
    let chat = |text: &str| ClientMsg::Chat { r#ref: None, text: text.into(), upload: None };
    let whisper = |to: &str| ClientMsg::Whisper { r#ref: None, to: to.into(), text: "psst".into() };

    // Muting is stored on the member row and announced.
    let (writes, effects) =
        commit(&mut core, request(1, ClientMsg::Mute { r#ref: None, user: ANN.into(), muted: true }));
    assert!(
        matches!(&writes[..], [Write::Message { .. }, Write::Member(row)] if row.user == ANN && row.muted),
        "{writes:?}"
    );
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::Send(Audience::Everyone, ServerMsg::ChatRules(r)) if r.muted == [ANN])));
    assert_eq!(refusal(&mut core, request(2, chat("hi"))), ErrorCode::Muted);
    assert_eq!(refusal(&mut core, request(2, whisper(BEN))), ErrorCode::Muted);
    commit(&mut core, request(3, chat("Ben still talks")));
    commit(&mut core, request(1, ClientMsg::Mute { r#ref: None, user: ANN.into(), muted: false }));
    commit(&mut core, request(2, chat("back")));

    // Chat off: students' chat and whispers, not the teacher's.
    let (writes, _) = commit(&mut core, request(1, ClientMsg::ChatOff { r#ref: None, off: true }));
    assert!(writes.iter().any(|w| matches!(w, Write::ChatRules { chat_off: true, .. })));
    assert_eq!(refusal(&mut core, request(3, chat("hi"))), ErrorCode::ChatOff);
    assert_eq!(refusal(&mut core, request(3, whisper(ANN))), ErrorCode::ChatOff);
    commit(&mut core, request(1, chat("quiet please")));
    commit(&mut core, request(1, ClientMsg::ChatOff { r#ref: None, off: false }));

    // Whispers off: students' whispers only.
    commit(&mut core, request(1, ClientMsg::Whispers { r#ref: None, rule: WhisperRule::Off }));
    assert_eq!(refusal(&mut core, request(3, whisper(ANN))), ErrorCode::WhispersOff);
    commit(&mut core, request(3, chat("out loud")));
    commit(&mut core, request(1, whisper(ANN)));
    // Students may not change the rules.
    assert_eq!(refusal(&mut core, request(2, ClientMsg::ChatOff { r#ref: None, off: true })), ErrorCode::Forbidden);
}

#[test]
fn a_renamed_student_keeps_a_name_nobody_else_has() {
    let mut core = classroom();
    let rename = |name: &str| request(1, ClientMsg::Rename { r#ref: None, user: ANN.into(), name: name.into() });
    // BEN's name is "BEN": Ann asking for it gets a number; her own does not count.
    let (writes, effects) = commit(&mut core, rename("ben"));
    assert!(matches!(&writes[..], [Write::Member(row)] if row.name == "ben 2"), "{writes:?}");
    assert!(effects.iter().any(|e| matches!(e, Effect::Send(Audience::Everyone, ServerMsg::Presence { event: PresenceEvent::Rename, participant, .. }) if participant.name == "ben 2")));
    let (writes, _) = commit(&mut core, rename("BEN 2"));
    assert!(matches!(&writes[..], [Write::Member(row)] if row.name == "BEN 2"), "{writes:?}");
    assert_eq!(
        refusal(&mut core, request(3, ClientMsg::Rename { r#ref: None, user: ANN.into(), name: "x".into() })),
        ErrorCode::Forbidden
    );
    assert_eq!(refusal(&mut core, rename(" ")), ErrorCode::Invalid);
}
