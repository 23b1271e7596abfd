//! What deleting a room removes, shared by both stores: every table that
//! holds a room's rows, children before their parents, and which of the
//! room's uploads may go with it (those no other room uses); and which
//! rooms retention deletes and which idle rooms close.

/// Tables keyed by `room_id` that every store has, deleted in this order
/// (references point from later tables to earlier ones, never back).
/// `tests/room_delete.rs` finds every table with a `room_id` column in
/// the schema and checks that none keeps a deleted room's rows, so a table
/// a later migration adds cannot be forgotten here unnoticed.
pub const ROOM_TABLES: [&str; 11] = [
    "board_history",
    "board_keyframes",
    "board_drops",
    "board_updates",
    "board_snapshots",
    "boards",
    "puzzles",
    "messages",
    "teacher_ids",
    "members",
    "room_uploads",
];

/// The uploads a room uses: posted to it, attached to its messages, or
/// cut into its puzzles. `{room}` is the store's placeholder for the room id.
pub fn uploads_of_room(room: &str) -> String {
    format!(
        "SELECT upload_id FROM room_uploads WHERE room_id = {room}
         UNION SELECT upload_id FROM messages WHERE room_id = {room} AND upload_id IS NOT NULL
         UNION SELECT upload_id FROM puzzles WHERE room_id = {room}"
    )
}

/// Deletes one upload's row if no room uses it any more; `{id}` is the
/// store's placeholder for the upload id.
pub fn delete_unused_upload(id: &str) -> String {
    format!(
        "DELETE FROM uploads WHERE id = {id}
           AND NOT EXISTS (SELECT 1 FROM room_uploads WHERE upload_id = {id})
           AND NOT EXISTS (SELECT 1 FROM messages WHERE upload_id = {id})
           AND NOT EXISTS (SELECT 1 FROM puzzles WHERE upload_id = {id})"
    )
}

/// A room's last sign of life, as an SQL expression over `rooms r`: its
/// creation, the last time someone was connected, its newest message and
/// board update. `greatest` is the store's n-ary maximum (`MAX` in SQLite,
/// `GREATEST` in Postgres).
fn last_activity(greatest: &str) -> String {
    format!(
        "{greatest}(r.created_at, COALESCE(r.active_at, 0),
           COALESCE((SELECT MAX(m.ts) FROM messages m WHERE m.room_id = r.id), 0),
           COALESCE((SELECT MAX(u.ts) FROM board_updates u WHERE u.room_id = r.id), 0))"
    )
}

/// Rooms closed before `{before}`, or open with no activity since then;
/// `{before}` is the store's placeholder for that time (ms).
pub fn rooms_past_retention(greatest: &str, before: &str) -> String {
    format!(
        "SELECT r.id FROM rooms r
         WHERE (r.closed_at IS NOT NULL AND r.closed_at < {before})
            OR (r.closed_at IS NULL AND {} < {before})
         ORDER BY r.created_at",
        last_activity(greatest)
    )
}

/// Open rooms with no activity since `{before}` (ms).
pub fn open_rooms_idle_before(greatest: &str, before: &str) -> String {
    format!(
        "SELECT r.id FROM rooms r WHERE r.closed_at IS NULL AND {} < {before} ORDER BY r.created_at",
        last_activity(greatest)
    )
}
