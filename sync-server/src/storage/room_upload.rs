//! Which room may see which upload, shared by both stores: a room uses an
//! upload posted to it, attached to one of its messages or cut into one of
//! its puzzles. Serving a picture and attaching one both ask this, so an
//! upload's id alone (it is only the hash of its bytes) opens nothing.

/// The `uploads` row of `{id}` if room `{room}` uses it; the arguments are
/// the store's placeholders.
pub fn room_upload(room: &str, id: &str) -> String {
    format!(
        "SELECT u.* FROM uploads u WHERE u.id = {id} AND (
             EXISTS (SELECT 1 FROM room_uploads WHERE room_id = {room} AND upload_id = {id})
             OR EXISTS (SELECT 1 FROM messages WHERE room_id = {room} AND upload_id = {id})
             OR EXISTS (SELECT 1 FROM puzzles WHERE room_id = {room} AND upload_id = {id}))"
    )
}
