//! One storage suite, run on each backend: SQLite in a temp dir, and
//! Postgres on a throwaway server this test starts itself
//! (`jigsync_testkit::postgres`, which installs Debian's PostgreSQL when it is
//! missing). Every check goes through `&dyn Storage` only, so the two
//! implementations are held to the same behaviour: every trait method, every
//! kind of `Write`, and the atomicity of a batch.
//!
//! The suite also gets a second handle on the same store (a second pool, as
//! a second node would open): what one commits the other reads, and a seq
//! one has taken the other cannot take again, even when both race for it.
//! That refusal is what fences a second writer of a room.
//!
//! Loading a room whole (`load_room`) is held to what the single-table reads
//! give, and to one moment's state while commits race it.
//!
//! Checks use their own rooms, so they share one store and run in turn.

mod common;

use jigsync_schema::{
    BoardId, BoardMeta, BoardMode, Message, MessageKind, Role, Spotlight, SystemEvent, SystemEventKind, WhisperRule,
};
use jigsync_server::storage::board_history::{BoardTimeline, HistoryWindow};
use jigsync_server::storage::postgres::PostgresStorage;
use jigsync_server::storage::sqlite::SqliteStorage;
use jigsync_server::storage::{
    BoardActivity, BoardLog, BoardRow, HistoryQuery, LoadedRoom, MemberRow, MemberStatus, PuzzleRow, RoomRow, Storage,
    StorageError, UploadRow, Write,
};
use jigsync_server::uploads::attachment;
use jigsync_testkit::postgres::TestPostgres;

#[tokio::test]
async fn sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("jigsync.db");
    let first = SqliteStorage::open(&path).await.expect("open SQLite");
    let second = SqliteStorage::open(&path).await.expect("open SQLite a second time");
    suite(&first, &second).await;
    first.close().await;
    second.close().await;
}

#[tokio::test]
async fn postgres() {
    let server = tokio::task::spawn_blocking(TestPostgres::start).await.expect("start postgres");
    let first = PostgresStorage::connect(&server.url).await.expect("connect to postgres");
    // Migrations again, on a schema that is up to date: a second node starting.
    let second = PostgresStorage::connect(&server.url).await.expect("connect to postgres a second time");
    suite(&first, &second).await;
    first.close().await;
    second.close().await;
}

/// A SQLite file from before board history, upgraded by opening it.
#[tokio::test]
async fn sqlite_boards_compacted_before_history_keep_a_timeline() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("jigsync.db");
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&path).create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.expect("open SQLite");
    migrate_up_to(&pool, "migrations", 8).await;
    compacted_before_history(&pool).await;
    pool.close().await;
    let store = SqliteStorage::open(&path).await.expect("the upgrade");
    timeline_of_a_board_compacted_before_history(&store).await;
    store.close().await;
}

/// A Postgres database from before board history, upgraded by connecting.
#[tokio::test]
async fn postgres_boards_compacted_before_history_keep_a_timeline() {
    let server = tokio::task::spawn_blocking(TestPostgres::start).await.expect("start postgres");
    let pool = sqlx::PgPool::connect(&server.url).await.expect("connect to postgres");
    migrate_up_to(&pool, "migrations_postgres", 10).await;
    compacted_before_history(&pool).await;
    pool.close().await;
    let store = PostgresStorage::connect(&server.url).await.expect("the upgrade");
    timeline_of_a_board_compacted_before_history(&store).await;
    store.close().await;
}

/// Applies a store's migrations up to `last` (the same files, so the
/// server's own migrator later sees them as applied and runs the rest).
async fn migrate_up_to<'a, A>(to: A, folder: &str, last: u32)
where
    A: sqlx::Acquire<'a>,
    <A::Connection as std::ops::Deref>::Target: sqlx::migrate::Migrate,
{
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let older = tempfile::tempdir().expect("temp dir");
    for entry in std::fs::read_dir(&source).expect("migrations") {
        let entry = entry.expect("a migration");
        let name = entry.file_name().to_string_lossy().into_owned();
        let version: u32 = name.split('_').next().and_then(|v| v.parse().ok()).expect("a numbered migration");
        if version <= last {
            std::fs::copy(entry.path(), older.path().join(&name)).expect("copy a migration");
        }
    }
    let migrator = sqlx::migrate::Migrator::new(older.path()).await.expect("the older migrations");
    migrator.run(to).await.expect("migrate to the older schema");
}

/// In the schema of before board history, a board whose updates 1..=3
/// were folded into a snapshot, with updates 4 and 5 after it (one SQL
/// text for both stores).
async fn compacted_before_history<'e, E>(db: E)
where
    E: sqlx::Executor<'e> + Copy,
    for<'q> <E::Database as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, E::Database>,
    for<'q> &'q str: sqlx::Encode<'q, E::Database> + sqlx::Type<E::Database>,
    for<'q> i64: sqlx::Encode<'q, E::Database> + sqlx::Type<E::Database>,
    for<'q> Vec<u8>: sqlx::Encode<'q, E::Database> + sqlx::Type<E::Database>,
{
    let meta = serde_json::to_string(&meta(4, 6)).expect("meta JSON");
    let statements: [(&str, Vec<u8>); 7] = [
        ("INSERT INTO rooms (id, name, join_code, owner_id, created_at) VALUES ('r-old', 'Old', 'OLDRM1', 'u-t', 100)", vec![]),
        ("INSERT INTO uploads (id, content_type, bytes, created_at) VALUES ('old-picture', 'image/png', 10, 100)", vec![]),
        ("INSERT INTO puzzles (room_id, puzzle_id, upload_id, rows, cols, mode, meta, created_at)
          VALUES ('r-old', 1, 'old-picture', 4, 6, 'individual', $1, 100)", vec![]),
        ("INSERT INTO boards (room_id, board_id, puzzle_id, members, meta) VALUES ('r-old', 1, 1, '[\"u-ann\"]', $1)", vec![]),
        ("INSERT INTO board_snapshots (room_id, board_id, upto_seq, data) VALUES ('r-old', 1, 3, $1)", b"state to 3".to_vec()),
        ("INSERT INTO board_updates (room_id, board_id, seq, ts, data) VALUES ('r-old', 1, 4, 140, $1)", b"update 4".to_vec()),
        ("INSERT INTO board_updates (room_id, board_id, seq, ts, data) VALUES ('r-old', 1, 5, 150, $1)", b"update 5".to_vec()),
    ];
    for (sql, data) in statements {
        let query = sqlx::query(sql);
        // `$1` is the meta, or the bytes where there are some.
        let query = match (sql.contains("$1"), data.is_empty()) {
            (false, _) => query,
            (true, true) => query.bind(meta.as_str()),
            (true, false) => query.bind(data),
        };
        query.execute(db).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

/// After the upgrade the board's timeline starts at its old snapshot, kept
/// as a keyframe dated by the first update after it, and goes on with the
/// updates after it; a later compaction archives them.
async fn timeline_of_a_board_compacted_before_history(store: &dyn Storage) {
    let timeline = store.board_history("r-old", 1, HistoryWindow::default()).await.expect("history").expect("a board");
    let base = timeline.base.as_ref().expect("the old snapshot is where the timeline starts");
    assert_eq!((base.upto_seq, base.ts, base.data.as_slice()), (3, 140, &b"state to 3"[..]));
    let updates = |t: &BoardTimeline| t.updates.iter().map(|u| (u.seq, u.ts, u.data.clone())).collect::<Vec<_>>();
    assert_eq!(updates(&timeline), vec![(4, 140, b"update 4".to_vec()), (5, 150, b"update 5".to_vec())]);
    assert!(timeline.keyframes.is_empty());

    store.compact_board("r-old", 1, 5, b"state to 5").await.expect("compact");
    let timeline = store.board_history("r-old", 1, HistoryWindow::default()).await.expect("history").expect("a board");
    assert_eq!(timeline.base.as_ref().map(|k| k.upto_seq), Some(3));
    assert_eq!(updates(&timeline), vec![(4, 140, b"update 4".to_vec()), (5, 150, b"update 5".to_vec())]);
}

/// Every check, in turn, on one store; `other` is a second handle on it.
async fn suite(store: &dyn Storage, other: &dyn Storage) {
    rooms_and_join_codes(store, other).await;
    open_rooms_count_active_members(store).await;
    members_are_one_row_per_user(store).await;
    one_batch_holds_every_kind_of_write(store, other).await;
    a_batch_with_one_bad_write_stores_nothing(store).await;
    a_taken_seq_is_refused_to_a_second_writer(store, other).await;
    batches_committed_together_fail_only_where_they_clash(store).await;
    last_seq_is_the_highest_stored(store).await;
    history_pages_oldest_first_and_whispers_stay_private(store).await;
    the_active_puzzle_is_the_newest(store).await;
    compaction_replaces_the_updates_it_covers(store).await;
    keyframes_are_kept_once_the_archive_outweighs_them(store).await;
    uploads_are_recorded_once(store).await;
    loading_a_room_reads_what_the_single_reads_read(store, other).await;
    a_load_racing_commits_sees_each_batch_whole_or_not_at_all(store, other).await;
    deleting_a_room_removes_it_whole_with_the_uploads_only_it_used(store).await;
    retention_finds_rooms_closed_or_idle_before_a_time(store).await;
}

async fn rooms_and_join_codes(store: &dyn Storage, other: &dyn Storage) {
    let room = room_row("r-rooms", "ROOMS1", 1_000);
    let owner = member("r-rooms", "u-teacher", Role::Teacher, 1_000, MemberStatus::Active);
    store.create_room(&room, &owner).await.expect("create room");

    assert_eq!(other.room("r-rooms").await.expect("room"), Some(room.clone()));
    assert_eq!(other.room_by_code("ROOMS1").await.expect("room by code"), Some(room.clone()));
    assert_eq!(other.member("r-rooms", "u-teacher").await.expect("member"), Some(owner.clone()));
    assert_eq!(store.room("r-missing").await.expect("room"), None);
    assert_eq!(store.room_by_code("NOSUCH").await.expect("room by code"), None);

    // A taken code: refused as such, and neither the room nor its owner is stored.
    let clash = room_row("r-rooms-clash", "ROOMS1", 1_001);
    let clash_owner = member("r-rooms-clash", "u-other", Role::Teacher, 1_001, MemberStatus::Active);
    let refused = store.create_room(&clash, &clash_owner).await;
    assert!(matches!(refused, Err(StorageError::DuplicateJoinCode)), "{refused:?}");
    assert_eq!(store.room("r-rooms-clash").await.expect("room"), None);
    assert_eq!(store.members("r-rooms-clash").await.expect("members"), vec![]);
    let refused = other.create_room(&clash, &clash_owner).await;
    assert!(matches!(refused, Err(StorageError::DuplicateJoinCode)), "second handle: {refused:?}");

    // A closed room is no longer found by its code, and its code stays taken.
    store.commit(&[Write::CloseRoom { room: "r-rooms".into(), at: 2_000 }]).await.expect("close");
    assert_eq!(store.room_by_code("ROOMS1").await.expect("room by code"), None);
    let closed = store.room("r-rooms").await.expect("room").expect("closed room is still there");
    assert_eq!(closed.closed_at, Some(2_000));
    let refused = store.create_room(&clash, &clash_owner).await;
    assert!(matches!(refused, Err(StorageError::DuplicateJoinCode)), "code of a closed room: {refused:?}");
}

async fn open_rooms_count_active_members(store: &dyn Storage) {
    create_room(store, "r-open-b", "OPENB1", 3_002).await;
    create_room(store, "r-open-a", "OPENA1", 3_001).await;
    create_room(store, "r-open-closed", "OPENC1", 3_000).await;
    store
        .commit(&[
            Write::Member(member("r-open-a", "u-ann", Role::Student, 3_010, MemberStatus::Active)),
            Write::Member(member("r-open-a", "u-bob", Role::Student, 3_011, MemberStatus::Active)),
            Write::Member(member("r-open-a", "u-cat", Role::Student, 3_012, MemberStatus::Left)),
            Write::Member(member("r-open-a", "u-dan", Role::Student, 3_013, MemberStatus::Kicked)),
            Write::Member(member("r-open-b", "u-owner", Role::Teacher, 3_014, MemberStatus::Left)),
            Write::CloseRoom { room: "r-open-closed".into(), at: 3_100 },
        ])
        .await
        .expect("members");

    let open: Vec<(String, u32)> = store
        .open_rooms()
        .await
        .expect("open rooms")
        .into_iter()
        .filter(|(room, _)| room.id.starts_with("r-open-"))
        .map(|(room, active)| (room.id, active))
        .collect();
    // Oldest first; the owner plus the two active students; nobody active in b.
    assert_eq!(open, vec![("r-open-a".to_owned(), 3), ("r-open-b".to_owned(), 0)]);
    let (room, _) = store
        .open_rooms()
        .await
        .expect("open rooms")
        .into_iter()
        .find(|(room, _)| room.id == "r-open-a")
        .expect("room a is open");
    assert_eq!(room, room_row("r-open-a", "OPENA1", 3_001));
}

async fn members_are_one_row_per_user(store: &dyn Storage) {
    create_room(store, "r-members", "MEMBR1", 4_000).await;
    let ann = member("r-members", "u-ann", Role::Student, 4_010, MemberStatus::Active);
    let bob = member("r-members", "u-bob", Role::Student, 4_020, MemberStatus::Active);
    // Same time as Bob: user ids break the tie, byte by byte ('Z' before 'b').
    let mut zed = member("r-members", "u-Zed", Role::Student, 4_020, MemberStatus::Active);
    zed.color = String::new(); // stored before colors were: kept empty
    store
        .commit(&[Write::Member(bob.clone()), Write::Member(ann.clone()), Write::Member(zed.clone())])
        .await
        .expect("members");

    // Ann leaves, then comes back under another name: still one row, the latest.
    let mut left = ann.clone();
    left.status = MemberStatus::Left;
    store.commit(&[Write::Member(left)]).await.expect("leave");
    let rejoined = MemberRow {
        name: "Annie".into(),
        joined_at: 4_030,
        status: MemberStatus::Active,
        color: "#123456".into(),
        ..ann.clone()
    };
    store.commit(&[Write::Member(rejoined.clone())]).await.expect("rejoin");
    assert_eq!(store.member("r-members", "u-ann").await.expect("member"), Some(rejoined.clone()));
    assert_eq!(store.member("r-members", "u-nobody").await.expect("member"), None);

    // Ordered by when they (re)joined, then by user id.
    let owner = member("r-members", "u-owner", Role::Teacher, 4_000, MemberStatus::Active);
    assert_eq!(store.members("r-members").await.expect("members"), vec![owner, zed, bob, rejoined]);
    assert_eq!(store.members("r-nosuch").await.expect("members"), vec![]);
}

async fn one_batch_holds_every_kind_of_write(store: &dyn Storage, other: &dyn Storage) {
    create_room(store, "r-batch", "BATCH1", 5_000).await;
    let picture = upload_row("batch-picture", "image/png");
    store.put_upload(&picture, "r-batch").await.expect("upload");
    let spotlight = Spotlight { board: 2, hide_names: true };
    let puzzle = puzzle_row("r-batch", 1, "batch-picture");
    let board_one = board_row("r-batch", 1, 1, &["u-ann"]);
    let board_two = board_row("r-batch", 2, 1, &["u-bob", "u-cat"]);
    let with_picture = Message { upload: Some(attachment("batch-picture", "image/png")), ..chat(1, "u-ann", "look") };
    let joined = system(2, SystemEventKind::Join, "u-bob", None);
    let handed = system(3, SystemEventKind::Owner, "u-ann", Some("u-owner"));
    // A solve keeps its board, mode and time; a join from before names were
    // kept reads back without them.
    let mut solved = system(4, SystemEventKind::Solved, "u-ann", None);
    if let Some(event) = solved.event.as_mut() {
        (event.board, event.mode, event.took_ms) = (Some(2), Some(BoardMode::Groups), Some(65_000));
    }
    let mut unnamed = system(5, SystemEventKind::Join, "u-cat", None);
    if let Some(event) = unnamed.event.as_mut() {
        event.user_name = None;
    }
    store
        .commit(&[
            Write::Member(member("r-batch", "u-ann", Role::Student, 5_010, MemberStatus::Active)),
            Write::Owner { room: "r-batch".into(), owner: Some("u-ann".into()) },
            Write::Message { room: "r-batch".into(), message: with_picture.clone() },
            Write::Message { room: "r-batch".into(), message: joined.clone() },
            Write::Message { room: "r-batch".into(), message: handed.clone() },
            Write::Message { room: "r-batch".into(), message: solved.clone() },
            Write::Message { room: "r-batch".into(), message: unnamed.clone() },
            Write::Spotlight { room: "r-batch".into(), spotlight: Some(spotlight) },
            Write::Puzzle(puzzle.clone()),
            Write::Board(board_one.clone()),
            Write::Board(board_two.clone()),
            Write::BoardUpdate {
                room: "r-batch".into(),
                board: 1,
                seq: 1,
                ts: 5_100,
                author: None,
                data: vec![1, 0, 255],
            },
            Write::BoardUpdate { room: "r-batch".into(), board: 1, seq: 2, ts: 5_101, author: None, data: vec![] },
            Write::CloseRoom { room: "r-batch".into(), at: 5_200 },
        ])
        .await
        .expect("commit a batch of every kind of write");

    // All of it, read through the other handle.
    let room = other.room("r-batch").await.expect("room").expect("room exists");
    assert_eq!(room.owner.as_deref(), Some("u-ann"));
    assert_eq!(room.spotlight, Some(spotlight));
    assert_eq!(room.closed_at, Some(5_200));
    assert_eq!(
        other.member("r-batch", "u-ann").await.expect("member"),
        Some(member("r-batch", "u-ann", Role::Student, 5_010, MemberStatus::Active))
    );
    let messages = other.messages("r-batch", history("u-anyone", None, None, 50)).await.expect("messages");
    assert_eq!(messages, vec![with_picture, joined, handed, solved, unnamed]);
    assert_eq!(other.last_seq("r-batch").await.expect("last seq"), 5);
    let (active, boards) = other.active_puzzle("r-batch").await.expect("puzzle").expect("a puzzle");
    assert_eq!(active, puzzle);
    assert_eq!(boards, vec![board_one.clone(), board_two.clone()]);
    assert_eq!(other.last_ids("r-batch").await.expect("last ids"), (1, 2));
    let log = other.board_log("r-batch", 1).await.expect("board log");
    assert_eq!(log.snapshot, None);
    assert_eq!(log.updates, vec![(1, vec![1, 0, 255]), (2, vec![])]);

    // Writing a board again changes who may write it, its lock and its
    // completion; its puzzle and meta are fixed when it is made.
    let rewritten = BoardRow {
        puzzle: 7,
        members: vec!["u-cat".into()],
        locked: true,
        meta: BoardMeta { seed: 99, ..board_one.meta.clone() },
        completed_at: Some(5_300),
        ..board_one.clone()
    };
    store.commit(&[Write::Board(rewritten)]).await.expect("rewrite board");
    let (_, boards) = store.active_puzzle("r-batch").await.expect("puzzle").expect("a puzzle");
    let expected =
        BoardRow { members: vec!["u-cat".into()], locked: true, completed_at: Some(5_300), ..board_one.clone() };
    assert_eq!(boards, vec![expected, board_two]);

    // Spotlight and owner cleared again.
    store
        .commit(&[
            Write::Spotlight { room: "r-batch".into(), spotlight: None },
            Write::Owner { room: "r-batch".into(), owner: None },
        ])
        .await
        .expect("clear");
    let room = store.room("r-batch").await.expect("room").expect("room exists");
    assert_eq!((room.owner, room.spotlight), (None, None));
    // A spotlight that does not hide names reads back as such.
    let shown = Spotlight { board: 1, hide_names: false };
    store.commit(&[Write::Spotlight { room: "r-batch".into(), spotlight: Some(shown) }]).await.expect("spotlight");
    assert_eq!(store.room("r-batch").await.expect("room").expect("room exists").spotlight, Some(shown));
    // Joining locked and opened again.
    store.commit(&[Write::JoinLock { room: "r-batch".into(), locked: true }]).await.expect("lock joining");
    assert!(other.room("r-batch").await.expect("room").expect("room exists").join_locked);
    store.commit(&[Write::JoinLock { room: "r-batch".into(), locked: false }]).await.expect("open joining");
    assert!(!other.room("r-batch").await.expect("room").expect("room exists").join_locked);
    // Chat switches, and a student muted on their member row.
    let rules = Write::ChatRules { room: "r-batch".into(), whispers: WhisperRule::Off, chat_off: true };
    store.commit(&[rules]).await.expect("chat rules");
    let room = other.room("r-batch").await.expect("room").expect("room exists");
    assert_eq!((room.whispers, room.chat_off), (WhisperRule::Off, true));
    let rules = Write::ChatRules { room: "r-batch".into(), whispers: WhisperRule::VisibleToTeachers, chat_off: false };
    store.commit(&[rules]).await.expect("chat rules");
    let room = other.room("r-batch").await.expect("room").expect("room exists");
    assert_eq!((room.whispers, room.chat_off), (WhisperRule::VisibleToTeachers, false));
    let muted = MemberRow { muted: true, ..member("r-batch", "u-muted", Role::Student, 5_400, MemberStatus::Active) };
    store.commit(&[Write::Member(muted.clone())]).await.expect("muted member");
    assert_eq!(other.member("r-batch", "u-muted").await.expect("member"), Some(muted));
    // Progress and drops, as the report reads them: a reset (`by: None`) counts no drop.
    let (one, two): (BoardId, BoardId) = (1, 2);
    let progress = |progress: f32, by: Option<&str>| Write::Progress {
        room: "r-batch".into(),
        board: two,
        progress,
        by: by.map(str::to_owned),
    };
    store.commit(&[progress(0.25, Some("u-cat")), progress(0.5, Some("u-bob"))]).await.expect("drops");
    store.commit(&[progress(0.75, Some("u-cat")), progress(0.125, None)]).await.expect("more drops");
    let activity = other.board_activity("r-batch", 1).await.expect("activity");
    assert_eq!(activity.progress, vec![(one, 0.0), (two, 0.125)]);
    assert_eq!(activity.drops, vec![(two, "u-bob".to_owned(), 1), (two, "u-cat".to_owned(), 2)]);
    assert_eq!(other.board_activity("r-batch", 2).await.expect("activity"), BoardActivity::default());
}

async fn a_batch_with_one_bad_write_stores_nothing(store: &dyn Storage) {
    create_room(store, "r-atomic", "ATOMC1", 6_000).await;
    store
        .commit(&[
            Write::Message { room: "r-atomic".into(), message: chat(1, "u-owner", "first") },
            Write::BoardUpdate { room: "r-atomic".into(), board: 1, seq: 1, ts: 6_001, author: None, data: vec![1] },
        ])
        .await
        .expect("first batch");

    let good_writes = || {
        vec![
            Write::Member(member("r-atomic", "u-ann", Role::Student, 6_010, MemberStatus::Active)),
            Write::Owner { room: "r-atomic".into(), owner: Some("u-ann".into()) },
            Write::Message { room: "r-atomic".into(), message: chat(2, "u-owner", "second") },
            Write::BoardUpdate { room: "r-atomic".into(), board: 1, seq: 2, ts: 6_011, author: None, data: vec![2] },
            Write::Spotlight { room: "r-atomic".into(), spotlight: Some(Spotlight { board: 1, hide_names: false }) },
            Write::CloseRoom { room: "r-atomic".into(), at: 6_020 },
        ]
    };
    let bad_writes = [
        // seq 1 is taken
        Write::Message { room: "r-atomic".into(), message: chat(1, "u-owner", "again") },
        // board update 1 is taken
        Write::BoardUpdate { room: "r-atomic".into(), board: 1, seq: 1, ts: 6_012, author: None, data: vec![9] },
        // no such upload
        Write::Message {
            room: "r-atomic".into(),
            message: Message { upload: Some(attachment("no-such-upload", "image/png")), ..chat(3, "u-owner", "pic") },
        },
        // no such room
        Write::Message { room: "r-nowhere".into(), message: chat(1, "u-owner", "lost") },
    ];
    for bad in bad_writes {
        for at in [0, 3, 6] {
            let mut batch = good_writes();
            batch.insert(at, bad.clone());
            let refused = store.commit(&batch).await;
            assert!(
                matches!(refused, Err(StorageError::Database(_) | StorageError::Sqlite(_))),
                "{bad:?} at {at}: {refused:?}"
            );

            assert_eq!(store.member("r-atomic", "u-ann").await.expect("member"), None, "{bad:?} at {at}");
            let room = store.room("r-atomic").await.expect("room").expect("room exists");
            assert_eq!(room, room_row("r-atomic", "ATOMC1", 6_000), "{bad:?} at {at}");
            assert_eq!(store.last_seq("r-atomic").await.expect("last seq"), 1, "{bad:?} at {at}");
            let messages = store.messages("r-atomic", history("u-owner", None, None, 10)).await.expect("messages");
            assert_eq!(messages, vec![chat(1, "u-owner", "first")], "{bad:?} at {at}");
            let log = store.board_log("r-atomic", 1).await.expect("board log");
            assert_eq!(log.updates, vec![(1, vec![1])], "{bad:?} at {at}");
        }
    }
    // The same batch without the bad write goes through.
    store.commit(&good_writes()).await.expect("the good writes alone");
    assert_eq!(store.last_seq("r-atomic").await.expect("last seq"), 2);
}

async fn a_taken_seq_is_refused_to_a_second_writer(store: &dyn Storage, other: &dyn Storage) {
    create_room(store, "r-fence", "FENCE1", 7_000).await;
    store
        .commit(&[
            Write::Message { room: "r-fence".into(), message: chat(1, "u-owner", "from the first node") },
            Write::BoardUpdate { room: "r-fence".into(), board: 3, seq: 1, ts: 7_001, author: None, data: vec![1] },
        ])
        .await
        .expect("first writer");

    let message = Write::Message { room: "r-fence".into(), message: chat(1, "u-owner", "from the second node") };
    let refused = other.commit(&[message]).await;
    assert!(
        matches!(refused, Err(StorageError::Database(_) | StorageError::Sqlite(_))),
        "message seq taken: {refused:?}"
    );
    let update =
        Write::BoardUpdate { room: "r-fence".into(), board: 3, seq: 1, ts: 7_002, author: None, data: vec![2] };
    let refused = other.commit(&[update]).await;
    assert!(
        matches!(refused, Err(StorageError::Database(_) | StorageError::Sqlite(_))),
        "board update seq taken: {refused:?}"
    );
    // Even from the same handle.
    let again = Write::Message { room: "r-fence".into(), message: chat(1, "u-owner", "once more") };
    assert!(store.commit(&[again]).await.is_err());

    let messages = store.messages("r-fence", history("u-owner", None, None, 10)).await.expect("messages");
    assert_eq!(messages, vec![chat(1, "u-owner", "from the first node")]);
    assert_eq!(store.board_log("r-fence", 3).await.expect("board log").updates, vec![(1, vec![1])]);

    // The next seq is free to whoever takes it first.
    let next = Write::Message { room: "r-fence".into(), message: chat(2, "u-owner", "the second node's turn") };
    other.commit(&[next]).await.expect("next seq");
    assert_eq!(store.last_seq("r-fence").await.expect("last seq"), 2);

    // Both nodes racing for seq 3: one batch is stored whole, the other not at all.
    let batch = |text: &str, board_seq: u64| {
        vec![
            Write::Message { room: "r-fence".into(), message: chat(3, "u-owner", text) },
            Write::BoardUpdate {
                room: "r-fence".into(),
                board: 3,
                seq: board_seq,
                ts: 7_003,
                author: None,
                data: text.into(),
            },
        ]
    };
    let (first, second) = (batch("first racer", 2), batch("second racer", 3));
    let (a, b) = tokio::join!(store.commit(&first), other.commit(&second));
    let winner = match (a, b) {
        (Ok(()), Err(StorageError::Database(_) | StorageError::Sqlite(_))) => "first racer",
        (Err(StorageError::Database(_) | StorageError::Sqlite(_)), Ok(())) => "second racer",
        other => panic!("exactly one racer should win: {other:?}"),
    };
    let messages = store.messages("r-fence", history("u-owner", Some(4), Some(2), 10)).await.expect("messages");
    assert_eq!(messages, vec![chat(3, "u-owner", winner)]);
    let log = store.board_log("r-fence", 3).await.expect("board log");
    assert_eq!(log.updates.iter().map(|(_, data)| data.as_slice()).collect::<Vec<_>>(), [&[1][..], winner.as_bytes()]);
}

/// Many rooms committing at once share transactions (group commit); one
/// batch that cannot be stored must fail alone, and every other batch,
/// before and after it in the queue, must be stored whole.
async fn batches_committed_together_fail_only_where_they_clash(store: &dyn Storage) {
    const ROOMS: usize = 24;
    const CLASH: usize = 11;
    let room = |i: usize| format!("r-group-{i}");
    for i in 0..ROOMS {
        create_room(store, &room(i), &format!("GRP{i:03}"), 8_000).await;
    }
    let taken = Write::Message { room: room(CLASH), message: chat(1, "u-owner", "already there") };
    store.commit(&[taken]).await.expect("the clashing room's first message");

    let batches: Vec<Vec<Write>> = (0..ROOMS)
        .map(|i| {
            vec![
                Write::Message { room: room(i), message: chat(1, "u-owner", &format!("room {i}")) },
                Write::BoardUpdate { room: room(i), board: 1, seq: 1, ts: 8_001, author: None, data: vec![i as u8] },
            ]
        })
        .collect();
    let results = futures_util::future::join_all(batches.iter().map(|batch| store.commit(batch))).await;
    for (i, result) in results.iter().enumerate() {
        let updates = store.board_log(&room(i), 1).await.expect("board log").updates;
        let messages = store.messages(&room(i), history("u-owner", None, None, 10)).await.expect("messages");
        if i == CLASH {
            assert!(matches!(result, Err(StorageError::Database(_) | StorageError::Sqlite(_))), "room {i}: {result:?}");
            assert_eq!(messages, vec![chat(1, "u-owner", "already there")]);
            assert_eq!(updates, vec![], "room {i}: nothing of the refused batch is stored");
        } else {
            assert!(result.is_ok(), "room {i}: {result:?}");
            assert_eq!(messages, vec![chat(1, "u-owner", &format!("room {i}"))]);
            assert_eq!(updates, vec![(1, vec![i as u8])]);
        }
    }
}

async fn last_seq_is_the_highest_stored(store: &dyn Storage) {
    create_room(store, "r-seq", "SEQSQ1", 8_000).await;
    assert_eq!(store.last_seq("r-seq").await.expect("last seq"), 0);
    assert_eq!(store.last_seq("r-nosuch").await.expect("last seq"), 0);
    store
        .commit(&[
            Write::Message { room: "r-seq".into(), message: chat(5, "u-owner", "five") },
            Write::Message { room: "r-seq".into(), message: chat(2, "u-owner", "two") },
            Write::Message { room: "r-seq".into(), message: whisper(7, "u-ann", "u-bob", "seven") },
        ])
        .await
        .expect("messages");
    assert_eq!(store.last_seq("r-seq").await.expect("last seq"), 7);
}

async fn history_pages_oldest_first_and_whispers_stay_private(store: &dyn Storage) {
    create_room(store, "r-history", "HISTR1", 9_000).await;
    create_room(store, "r-history-other", "HISTR2", 9_001).await;
    let mut writes = Vec::new();
    for seq in 1..=10 {
        let message = match seq {
            3 => whisper(3, "u-ann", "u-bob", "psst bob"),
            6 => whisper(6, "u-bob", "u-cat", "psst cat"),
            9 => system(9, SystemEventKind::Kick, "u-dan", Some("u-owner")),
            _ => chat(seq, "u-ann", &format!("message {seq}")),
        };
        writes.push(Write::Message { room: "r-history".into(), message });
    }
    writes.push(Write::Message { room: "r-history-other".into(), message: chat(11, "u-ann", "elsewhere") });
    store.commit(&writes).await.expect("messages");

    let seqs = |viewer, before, after, limit| async move {
        let messages = store.messages("r-history", history(viewer, before, after, limit)).await.expect("messages");
        messages.iter().map(|m| m.seq).collect::<Vec<_>>()
    };
    // Whispers: their two parties only.
    assert_eq!(seqs("u-ann", None, None, 100).await, vec![1, 2, 3, 4, 5, 7, 8, 9, 10]);
    assert_eq!(seqs("u-bob", None, None, 100).await, vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert_eq!(seqs("u-cat", None, None, 100).await, vec![1, 2, 4, 5, 6, 7, 8, 9, 10]);
    assert_eq!(seqs("u-eve", None, None, 100).await, vec![1, 2, 4, 5, 7, 8, 9, 10]);
    // A teacher sees every whisper.
    let everything = HistoryQuery { all_whispers: true, ..history("u-owner", None, None, 100) };
    let messages = store.messages("r-history", everything).await.expect("messages");
    assert_eq!(messages.iter().map(|m| m.seq).collect::<Vec<_>>(), (1..=10).collect::<Vec<_>>());
    // The newest `limit`, oldest first.
    assert_eq!(seqs("u-ann", None, None, 3).await, vec![8, 9, 10]);
    assert_eq!(seqs("u-ann", None, None, 0).await, Vec::<u64>::new());
    // Strictly before and after; the limit counts only what the viewer sees.
    assert_eq!(seqs("u-ann", Some(5), None, 100).await, vec![1, 2, 3, 4]);
    assert_eq!(seqs("u-ann", Some(7), None, 3).await, vec![3, 4, 5]);
    assert_eq!(seqs("u-cat", Some(7), None, 3).await, vec![4, 5, 6]);
    assert_eq!(seqs("u-ann", None, Some(7), 100).await, vec![8, 9, 10]);
    assert_eq!(seqs("u-ann", Some(7), Some(2), 100).await, vec![3, 4, 5]);
    assert_eq!(seqs("u-ann", Some(10), Some(2), 2).await, vec![8, 9]);
    assert_eq!(seqs("u-ann", Some(3), Some(2), 100).await, Vec::<u64>::new());
    assert_eq!(seqs("u-ann", Some(u64::MAX), Some(0), 100).await.len(), 9);

    // Whole messages come back as written.
    let page = store.messages("r-history", history("u-bob", Some(7), Some(5), 10)).await.expect("messages");
    assert_eq!(page, vec![whisper(6, "u-bob", "u-cat", "psst cat")]);
    let page = store.messages("r-history", history("u-eve", Some(10), Some(8), 10)).await.expect("messages");
    assert_eq!(page, vec![system(9, SystemEventKind::Kick, "u-dan", Some("u-owner"))]);
    let elsewhere = store.messages("r-history-other", history("u-ann", None, None, 10)).await.expect("messages");
    assert_eq!(elsewhere, vec![chat(11, "u-ann", "elsewhere")]);
    assert_eq!(store.messages("r-nosuch", history("u-ann", None, None, 10)).await.expect("messages"), vec![]);
}

async fn the_active_puzzle_is_the_newest(store: &dyn Storage) {
    create_room(store, "r-puzzle", "PUZZL1", 10_000).await;
    create_room(store, "r-puzzle-empty", "PUZZL2", 10_001).await;
    store.put_upload(&upload_row("puzzle-picture", "image/webp"), "r-puzzle").await.expect("upload");
    assert!(store.active_puzzle("r-puzzle").await.expect("puzzle").is_none());
    assert_eq!(store.last_ids("r-puzzle").await.expect("last ids"), (0, 0));

    let first = puzzle_row("r-puzzle", 1, "puzzle-picture");
    let second = PuzzleRow { mode: BoardMode::Groups, rows: 2, cols: 9, ..puzzle_row("r-puzzle", 2, "puzzle-picture") };
    store
        .commit(&[
            Write::Puzzle(first.clone()),
            Write::Board(board_row("r-puzzle", 1, 1, &["u-ann"])),
            Write::Board(board_row("r-puzzle", 2, 1, &["u-bob"])),
            Write::Puzzle(second.clone()),
            // written out of order, read in order
            Write::Board(board_row("r-puzzle", 4, 2, &[])),
            Write::Board(board_row("r-puzzle", 3, 2, &["u-ann", "u-bob"])),
        ])
        .await
        .expect("two puzzles");
    let (puzzle, boards) = store.active_puzzle("r-puzzle").await.expect("puzzle").expect("a puzzle");
    assert_eq!(puzzle, second);
    assert_eq!(boards, vec![board_row("r-puzzle", 3, 2, &["u-ann", "u-bob"]), board_row("r-puzzle", 4, 2, &[])]);
    assert_eq!(store.last_ids("r-puzzle").await.expect("last ids"), (2, 4));
    assert!(store.active_puzzle("r-puzzle-empty").await.expect("puzzle").is_none());
    assert_eq!(store.last_ids("r-puzzle-empty").await.expect("last ids"), (0, 0));

    // A puzzle whose picture is not stored is refused.
    let refused = store.commit(&[Write::Puzzle(puzzle_row("r-puzzle", 3, "no-such-picture"))]).await;
    assert!(matches!(refused, Err(StorageError::Database(_) | StorageError::Sqlite(_))), "{refused:?}");
    assert_eq!(store.last_ids("r-puzzle").await.expect("last ids"), (2, 4));
}

async fn compaction_replaces_the_updates_it_covers(store: &dyn Storage) {
    let update = |board: BoardId, seq: u64| Write::BoardUpdate {
        room: "r-compact".into(),
        board,
        seq,
        ts: 11_000 + seq as i64,
        author: None,
        data: vec![board as u8, seq as u8],
    };
    let bytes = |board: BoardId, seqs: std::ops::RangeInclusive<u64>| {
        seqs.map(|seq| (seq, vec![board as u8, seq as u8])).collect::<Vec<_>>()
    };
    create_room(store, "r-compact", "COMPT1", 11_000).await;
    store.commit(&(1..=5).map(|seq| update(1, seq)).chain([update(2, 1)]).collect::<Vec<_>>()).await.expect("updates");
    let log = store.board_log("r-compact", 1).await.expect("board log");
    assert_eq!((log.snapshot, log.updates), (None, bytes(1, 1..=5)));

    store.compact_board("r-compact", 1, 3, b"snapshot to 3").await.expect("compact");
    let log = store.board_log("r-compact", 1).await.expect("board log");
    assert_eq!(log.snapshot, Some((3, b"snapshot to 3".to_vec())));
    assert_eq!(log.updates, bytes(1, 4..=5));

    // An older snapshot does not replace a newer one.
    store.compact_board("r-compact", 1, 2, b"snapshot to 2").await.expect("compact");
    let log = store.board_log("r-compact", 1).await.expect("board log");
    assert_eq!((log.snapshot, log.updates), (Some((3, b"snapshot to 3".to_vec())), bytes(1, 4..=5)));

    // An update the snapshot already covers is never replayed on top of it.
    store.commit(&[update(1, 3)]).await.expect("a late update 3");
    let log = store.board_log("r-compact", 1).await.expect("board log");
    assert_eq!(log.updates, bytes(1, 4..=5));

    // Updates after the snapshot keep coming; the next snapshot covers them.
    store.commit(&[update(1, 6)]).await.expect("update 6");
    store.compact_board("r-compact", 1, 5, b"snapshot to 5").await.expect("compact");
    let log = store.board_log("r-compact", 1).await.expect("board log");
    assert_eq!((log.snapshot, log.updates), (Some((5, b"snapshot to 5".to_vec())), bytes(1, 6..=6)));

    // Other boards are untouched; a board without a log has an empty one.
    let log = store.board_log("r-compact", 2).await.expect("board log");
    assert_eq!((log.snapshot, log.updates), (None, bytes(2, 1..=1)));
    let log = store.board_log("r-compact", 9).await.expect("board log");
    assert_eq!((log.snapshot, log.updates), (None, vec![]));
}

/// Each compaction archives what it folds, but keeps its snapshot as a
/// keyframe only once the updates archived since the last keyframe weigh
/// as much as the snapshot: the history of a long class grows with its
/// updates, not with their square, and every update stays in it.
async fn keyframes_are_kept_once_the_archive_outweighs_them(store: &dyn Storage) {
    let room = "r-keyframes";
    create_room(store, room, "KEYFR1", 11_200).await;
    store.put_upload(&upload_row("keyframe-picture", "image/png"), room).await.expect("upload");
    let board = board_row(room, 1, 1, &["u-ann"]);
    store
        .commit(&[Write::Puzzle(puzzle_row(room, 1, "keyframe-picture")), Write::Board(board)])
        .await
        .expect("a board");
    // Ten updates of 10 bytes each.
    let updates = (1..=10u64)
        .map(|seq| Write::BoardUpdate {
            room: room.into(),
            board: 1,
            seq,
            ts: 11_200 + seq as i64,
            author: Some("u-ann".into()),
            data: vec![seq as u8; 10],
        })
        .collect::<Vec<_>>();
    store.commit(&updates).await.expect("updates");
    async fn kept(store: &dyn Storage) -> Vec<u64> {
        let timeline = store.board_history("r-keyframes", 1, HistoryWindow::default()).await.expect("history");
        let timeline = timeline.expect("a board");
        assert_eq!(timeline.updates.len(), 10, "every update stays in the history");
        timeline.keyframes.iter().map(|k| k.upto_seq).collect()
    }
    // 30 bytes archived outweigh a 25-byte snapshot: kept.
    store.compact_board(room, 1, 3, &[3; 25]).await.expect("compact to 3");
    assert_eq!(kept(store).await, vec![3]);
    // 20 bytes since the keyframe do not.
    store.compact_board(room, 1, 5, &[5; 25]).await.expect("compact to 5");
    assert_eq!(kept(store).await, vec![3]);
    // 40 bytes since the keyframe outweigh 35, and the next 30 do not.
    store.compact_board(room, 1, 7, &[7; 35]).await.expect("compact to 7");
    store.compact_board(room, 1, 10, &[10; 35]).await.expect("compact to 10");
    assert_eq!(kept(store).await, vec![3, 7]);
    let log = store.board_log(room, 1).await.expect("board log");
    assert_eq!((log.snapshot, log.updates), (Some((10, vec![10; 35])), vec![]));
}

async fn uploads_are_recorded_once(store: &dyn Storage) {
    create_room(store, "r-uploads-1", "UPLDS1", 11_500).await;
    create_room(store, "r-uploads-2", "UPLDS2", 11_501).await;
    let picture = upload_row("aa11", "image/gif");
    store.put_upload(&picture, "r-uploads-1").await.expect("upload");
    // The same bytes again (another room, later): not an error, the first row stays.
    let again = UploadRow { created_at: 99_999, ..picture.clone() };
    store.put_upload(&again, "r-uploads-2").await.expect("same upload again");
    store.put_upload(&again, "r-uploads-2").await.expect("same upload in the same room again");
    assert_eq!(store.upload("aa11").await.expect("upload"), Some(picture.clone()));
    assert_eq!(store.upload("bb22").await.expect("upload"), None);
    // Each room sees what was posted to it; a room it was never posted to does not.
    create_room(store, "r-uploads-3", "UPLDS3", 11_502).await;
    for room in ["r-uploads-1", "r-uploads-2"] {
        assert_eq!(store.room_upload(room, "aa11").await.expect("room upload"), Some(picture.clone()), "{room}");
    }
    assert_eq!(store.room_upload("r-uploads-3", "aa11").await.expect("room upload"), None);
    assert_eq!(store.room_upload("r-uploads-1", "bb22").await.expect("room upload"), None);
}

async fn loading_a_room_reads_what_the_single_reads_read(store: &dyn Storage, other: &dyn Storage) {
    let update = |room: &str, board: BoardId, seq: u64| Write::BoardUpdate {
        room: room.into(),
        board,
        seq,
        ts: 12_000 + seq as i64,
        author: None,
        data: format!("{room} board {board} update {seq}").into_bytes(),
    };
    let data = |board: BoardId, seq: u64| format!("r-load board {board} update {seq}").into_bytes();
    create_room(store, "r-load", "LOADR1", 12_000).await;
    // Same board ids in another room: none of its rows may leak in.
    create_room(store, "r-load-other", "LOADR2", 12_001).await;
    store.put_upload(&upload_row("load-picture", "image/png"), "r-load").await.expect("upload");
    let old_puzzle = puzzle_row("r-load", 1, "load-picture");
    let puzzle = PuzzleRow { mode: BoardMode::Shared, ..puzzle_row("r-load", 2, "load-picture") };
    let mut writes = vec![
        Write::Member(member("r-load", "u-bob", Role::Student, 12_020, MemberStatus::Active)),
        Write::Member(member("r-load", "u-ann", Role::Student, 12_010, MemberStatus::Kicked)),
        Write::Member(member("r-load", "u-Cat", Role::Student, 12_020, MemberStatus::Left)),
        Write::Message { room: "r-load".into(), message: chat(1, "u-bob", "hello") },
        Write::Message { room: "r-load".into(), message: whisper(4, "u-bob", "u-owner", "psst") },
        Write::Spotlight { room: "r-load".into(), spotlight: Some(Spotlight { board: 3, hide_names: true }) },
        Write::JoinLock { room: "r-load".into(), locked: true },
        Write::Puzzle(old_puzzle),
        Write::Board(board_row("r-load", 1, 1, &["u-ann"])),
        Write::Puzzle(puzzle.clone()),
        // Board 5 has no log at all; 6 is the highest id in the room.
        Write::Board(board_row("r-load", 6, 2, &["u-bob"])),
        Write::Board(board_row("r-load", 5, 2, &[])),
        Write::Board(board_row("r-load", 4, 2, &["u-ann", "u-bob"])),
        Write::Board(board_row("r-load", 3, 2, &["u-Cat"])),
        Write::Board(board_row("r-load", 2, 2, &["u-owner"])),
        Write::Message { room: "r-load-other".into(), message: chat(9, "u-owner", "elsewhere") },
        Write::Puzzle(puzzle_row("r-load-other", 7, "load-picture")),
        Write::Board(board_row("r-load-other", 3, 7, &[])),
        Write::Board(board_row("r-load-other", 8, 7, &[])),
    ];
    // Board 1 (old puzzle): updates that must not be read. 2: a snapshot and
    // updates after it. 3: updates only. 4: a snapshot only. 6: a snapshot,
    // a late update it already covers, and updates after it.
    writes.extend((1..=3).map(|seq| update("r-load", 1, seq)));
    writes.extend((1..=7).map(|seq| update("r-load", 2, seq)));
    writes.extend((1..=4).map(|seq| update("r-load", 3, seq)));
    writes.extend((1..=2).map(|seq| update("r-load", 4, seq)));
    writes.extend((1..=5).map(|seq| update("r-load", 6, seq)));
    writes.extend((1..=9).map(|seq| update("r-load-other", 3, seq)));
    store.commit(&writes).await.expect("a room with two puzzles");
    store.compact_board("r-load", 2, 4, b"board 2 to 4").await.expect("compact 2");
    store.compact_board("r-load", 4, 2, b"board 4 to 2").await.expect("compact 4");
    store.compact_board("r-load", 6, 3, b"board 6 to 3").await.expect("compact 6");
    store.compact_board("r-load-other", 3, 5, b"elsewhere").await.expect("compact elsewhere");
    store.commit(&[update("r-load", 6, 2)]).await.expect("a late update 2 on board 6");

    // What the single reads give, read by hand.
    let expected = LoadedRoom {
        room: RoomRow {
            spotlight: Some(Spotlight { board: 3, hide_names: true }),
            join_locked: true,
            ..room_row("r-load", "LOADR1", 12_000)
        },
        members: vec![
            member("r-load", "u-owner", Role::Teacher, 12_000, MemberStatus::Active),
            member("r-load", "u-ann", Role::Student, 12_010, MemberStatus::Kicked),
            member("r-load", "u-Cat", Role::Student, 12_020, MemberStatus::Left),
            member("r-load", "u-bob", Role::Student, 12_020, MemberStatus::Active),
        ],
        last_seq: 4,
        last_ids: (2, 6),
        puzzle: Some((
            puzzle,
            vec![
                (
                    board_row("r-load", 2, 2, &["u-owner"]),
                    BoardLog {
                        snapshot: Some((4, b"board 2 to 4".to_vec())),
                        updates: (5..=7).map(|seq| (seq, data(2, seq))).collect(),
                    },
                ),
                (
                    board_row("r-load", 3, 2, &["u-Cat"]),
                    BoardLog { snapshot: None, updates: (1..=4).map(|seq| (seq, data(3, seq))).collect() },
                ),
                (
                    board_row("r-load", 4, 2, &["u-ann", "u-bob"]),
                    BoardLog { snapshot: Some((2, b"board 4 to 2".to_vec())), updates: vec![] },
                ),
                (board_row("r-load", 5, 2, &[]), BoardLog::default()),
                (
                    board_row("r-load", 6, 2, &["u-bob"]),
                    BoardLog {
                        snapshot: Some((3, b"board 6 to 3".to_vec())),
                        updates: (4..=5).map(|seq| (seq, data(6, seq))).collect(),
                    },
                ),
            ],
        )),
    };
    assert_eq!(singly(store, "r-load").await, expected, "the single reads");
    assert_eq!(store.load_room("r-load").await.expect("load"), Some(expected.clone()));
    assert_eq!(other.load_room("r-load").await.expect("load"), Some(expected), "second handle");

    // The room beside it, with the same board ids; a room with nothing but its owner.
    let other_room = other.load_room("r-load-other").await.expect("load").expect("an open room");
    assert_eq!(other_room, singly(store, "r-load-other").await);
    create_room(store, "r-load-bare", "LOADR3", 12_002).await;
    let bare = store.load_room("r-load-bare").await.expect("load").expect("an open room");
    assert_eq!(bare, singly(store, "r-load-bare").await);
    assert_eq!((bare.members.len(), bare.last_seq, bare.last_ids, bare.puzzle), (1, 0, (0, 0), None));

    // A missing room, and a closed one (whose row is still there) load as none.
    assert_eq!(store.load_room("r-load-missing").await.expect("load"), None);
    store.commit(&[Write::CloseRoom { room: "r-load".into(), at: 12_500 }]).await.expect("close");
    assert!(store.room("r-load").await.expect("room").is_some_and(|room| room.closed_at == Some(12_500)));
    assert_eq!(store.load_room("r-load").await.expect("load"), None);
    assert_eq!(other.load_room("r-load").await.expect("load"), None, "second handle");
}

/// A room as the single-table reads give it, one read after another.
async fn singly(store: &dyn Storage, id: &str) -> LoadedRoom {
    let puzzle = match store.active_puzzle(id).await.expect("active puzzle") {
        Some((puzzle, rows)) => {
            let mut boards = Vec::new();
            for row in rows {
                let log = store.board_log(id, row.id).await.expect("board log");
                boards.push((row, log));
            }
            Some((puzzle, boards))
        }
        None => None,
    };
    LoadedRoom {
        room: store.room(id).await.expect("room").expect("the room exists"),
        members: store.members(id).await.expect("members"),
        last_seq: store.last_seq(id).await.expect("last seq"),
        last_ids: store.last_ids(id).await.expect("last ids"),
        puzzle,
    }
}

/// Each batch writes message `n` and board update `n`: a load that saw one
/// part of a batch without the other would not be one moment's state.
async fn a_load_racing_commits_sees_each_batch_whole_or_not_at_all(store: &dyn Storage, other: &dyn Storage) {
    const BATCHES: u64 = 60;
    create_room(store, "r-race", "RACER1", 13_000).await;
    store.put_upload(&upload_row("race-picture", "image/gif"), "r-race").await.expect("upload");
    store
        .commit(&[Write::Puzzle(puzzle_row("r-race", 1, "race-picture")), Write::Board(board_row("r-race", 1, 1, &[]))])
        .await
        .expect("a puzzle");
    let done = std::sync::atomic::AtomicBool::new(false);
    let writer = async {
        for seq in 1..=BATCHES {
            store
                .commit(&[
                    Write::Message { room: "r-race".into(), message: chat(seq, "u-owner", "tick") },
                    Write::BoardUpdate {
                        room: "r-race".into(),
                        board: 1,
                        seq,
                        ts: 13_000,
                        author: None,
                        data: vec![seq as u8],
                    },
                ])
                .await
                .expect("a batch");
            tokio::task::yield_now().await;
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
    };
    let reader = async {
        let mut loads = 0;
        while !done.load(std::sync::atomic::Ordering::SeqCst) || loads == 0 {
            let loaded = other.load_room("r-race").await.expect("load").expect("an open room");
            let (_, boards) = loaded.puzzle.expect("the puzzle");
            let last_update = boards[0].1.updates.last().map_or(0, |(seq, _)| *seq);
            assert_eq!(loaded.last_seq, last_update, "message and board update of one batch");
            assert_eq!(boards[0].1.updates.len() as u64, last_update, "every update up to the last");
            loads += 1;
            tokio::task::yield_now().await;
        }
        loads
    };
    let ((), loads) = tokio::join!(writer, reader);
    assert!(loads > 1, "the reader raced the writer ({loads} loads)");
    let loaded = store.load_room("r-race").await.expect("load").expect("an open room");
    assert_eq!(loaded.last_seq, BATCHES);
}

async fn deleting_a_room_removes_it_whole_with_the_uploads_only_it_used(store: &dyn Storage) {
    create_room(store, "r-doomed", "DOOMD1", 14_000).await;
    create_room(store, "r-keeper", "KEEPR1", 14_001).await;
    // Posted only: "doomed-posted"; in a message: "doomed-chat"; cut into a
    // puzzle of both rooms: "shared-puzzle"; posted to both: "shared-posted".
    for (id, room) in [
        ("doomed-posted", "r-doomed"),
        ("doomed-chat", "r-doomed"),
        ("shared-puzzle", "r-doomed"),
        ("shared-posted", "r-doomed"),
        ("shared-posted", "r-keeper"),
    ] {
        store.put_upload(&upload_row(id, "image/png"), room).await.expect("upload");
    }
    let mut writes = Vec::new();
    for room in ["r-doomed", "r-keeper"] {
        let picture = (room == "r-doomed").then(|| attachment("doomed-chat", "image/png"));
        let posted = Message { upload: picture, ..chat(1, "u-owner", "with a picture") };
        writes.push(Write::Member(member(room, "u-ann", Role::Student, 14_010, MemberStatus::Active)));
        writes.push(Write::Message { room: room.into(), message: posted });
        writes.push(Write::Puzzle(puzzle_row(room, 1, "shared-puzzle")));
        writes.push(Write::Board(board_row(room, 1, 1, &["u-ann"])));
        writes.push(Write::BoardUpdate {
            room: room.into(),
            board: 1,
            seq: 1,
            ts: 14_020,
            author: None,
            data: vec![1, 2, 3],
        });
    }
    store.commit(&writes).await.expect("both rooms' rows");
    store.compact_board("r-doomed", 1, 1, b"snapshot").await.expect("a snapshot to delete too");

    let mut freed = store.delete_room("r-doomed", None).await.expect("delete").expect("the room existed");
    freed.sort();
    assert_eq!(freed, ["doomed-chat", "doomed-posted"]);
    assert_eq!(store.room("r-doomed").await.expect("room"), None);
    assert_eq!(store.members("r-doomed").await.expect("members"), vec![]);
    let everyone = history("u-owner", None, None, 100);
    assert_eq!(store.messages("r-doomed", everyone).await.expect("messages"), vec![]);
    assert_eq!(store.active_puzzle("r-doomed").await.expect("puzzle"), None);
    assert_eq!(store.board_log("r-doomed", 1).await.expect("log"), BoardLog::default());
    assert_eq!(store.last_ids("r-doomed").await.expect("ids"), (0, 0));
    for id in ["doomed-posted", "doomed-chat"] {
        assert_eq!(store.upload(id).await.expect("upload"), None, "{id} was only the deleted room's");
    }
    for id in ["shared-puzzle", "shared-posted"] {
        assert!(store.upload(id).await.expect("upload").is_some(), "{id} is still used");
    }
    // The other room is whole.
    assert!(store.room("r-keeper").await.expect("room").is_some());
    assert_eq!(store.members("r-keeper").await.expect("members").len(), 2);
    assert_eq!(store.messages("r-keeper", everyone).await.expect("messages").len(), 1);
    assert_eq!(store.board_log("r-keeper", 1).await.expect("log").updates.len(), 1);
    // Its code is free again; deleting twice finds nothing.
    assert_eq!(store.room_by_code("DOOMD1").await.expect("by code"), None);
    assert_eq!(store.delete_room("r-doomed", None).await.expect("delete again"), None);
}

async fn retention_finds_rooms_closed_or_idle_before_a_time(store: &dyn Storage) {
    for (id, code) in [("r-ret-idle", "RETIDL"), ("r-ret-used", "RETUSD"), ("r-ret-closed", "RETCLS")] {
        create_room(store, id, code, 15_000).await;
    }
    store.record_activity("r-ret-used", 16_500).await.expect("activity");
    // An older activity never hides a newer one.
    store.record_activity("r-ret-used", 15_100).await.expect("older activity");
    store.commit(&[Write::CloseRoom { room: "r-ret-closed".into(), at: 16_200 }]).await.expect("close");
    let past = |before| async move {
        let rooms = store.rooms_past_retention(before).await.expect("rooms past retention");
        ["r-ret-idle", "r-ret-used", "r-ret-closed"]
            .into_iter()
            .filter(|id| rooms.iter().any(|r| r == id))
            .collect::<Vec<_>>()
    };
    assert_eq!(past(14_000).await, Vec::<&str>::new());
    assert_eq!(past(16_000).await, ["r-ret-idle"]);
    assert_eq!(past(16_400).await, ["r-ret-idle", "r-ret-closed"]);
    assert_eq!(past(17_000).await, ["r-ret-idle", "r-ret-used", "r-ret-closed"]);
}

// Rows and messages with the details the checks do not care about filled in.

async fn create_room(store: &dyn Storage, id: &str, code: &str, at: i64) {
    let owner = member(id, "u-owner", Role::Teacher, at, MemberStatus::Active);
    store.create_room(&room_row(id, code, at), &owner).await.expect("create room");
}

fn room_row(id: &str, code: &str, created_at: i64) -> RoomRow {
    RoomRow {
        id: id.into(),
        name: format!("Room {id}"),
        join_code: code.into(),
        owner: Some("u-owner".into()),
        created_at,
        closed_at: None,
        spotlight: None,
        join_locked: false,
        whispers: WhisperRule::default(),
        chat_off: false,
    }
}

fn member(room: &str, user: &str, role: Role, joined_at: i64, status: MemberStatus) -> MemberRow {
    MemberRow {
        room: room.into(),
        user: user.into(),
        name: format!("Name of {user}"),
        role,
        joined_at,
        status,
        color: "#37be66".into(),
        muted: false,
    }
}

fn upload_row(id: &str, content_type: &str) -> UploadRow {
    UploadRow { id: id.into(), content_type: content_type.into(), bytes: 1_234, created_at: 500 }
}

fn meta(rows: u16, cols: u16) -> BoardMeta {
    BoardMeta {
        image: "/uploads/picture.png".into(),
        rows,
        cols,
        piece_width: 120.5,
        piece_height: 80.25,
        seed: 4_242_424_242,
        width: 1_800.0,
        height: 1_200.0,
    }
}

fn puzzle_row(room: &str, id: u32, upload: &str) -> PuzzleRow {
    PuzzleRow {
        room: room.into(),
        id,
        upload: upload.into(),
        rows: 4,
        cols: 6,
        mode: BoardMode::Individual,
        meta: meta(4, 6),
        created_at: 1_000 + i64::from(id),
    }
}

fn board_row(room: &str, id: BoardId, puzzle: u32, members: &[&str]) -> BoardRow {
    BoardRow {
        room: room.into(),
        id,
        puzzle,
        members: members.iter().map(|m| m.to_string()).collect(),
        locked: false,
        meta: meta(4, 6),
        completed_at: None,
    }
}

fn chat(seq: u64, from: &str, text: &str) -> Message {
    Message {
        seq,
        ts: 100 + seq as i64,
        kind: MessageKind::Chat,
        from: Some(from.into()),
        to: None,
        text: text.into(),
        upload: None,
        event: None,
    }
}

fn whisper(seq: u64, from: &str, to: &str, text: &str) -> Message {
    Message { kind: MessageKind::Whisper, to: Some(to.into()), ..chat(seq, from, text) }
}

fn system(seq: u64, kind: SystemEventKind, user: &str, by: Option<&str>) -> Message {
    Message {
        kind: MessageKind::System,
        from: None,
        text: format!("{kind:?} {user}"),
        event: Some(SystemEvent {
            kind,
            user: user.into(),
            by: by.map(Into::into),
            user_name: Some(format!("name of {user}")),
            by_name: by.map(|by| format!("name of {by}")),
            board: None,
            mode: None,
            took_ms: None,
        }),
        ..chat(seq, "", "")
    }
}

fn history(viewer: &str, before: Option<u64>, after: Option<u64>, limit: u32) -> HistoryQuery<'_> {
    HistoryQuery { viewer, all_whispers: false, before, after, limit }
}
