-- What deleting classes and retention need.
--
-- Which rooms each upload was posted to. Deleting a room deletes the
-- pictures no other room uses, and an upload posted but never shown in a
-- message or puzzle belongs to the room it was posted to. Filled here from
-- the messages and puzzles that already name an upload.
CREATE TABLE room_uploads (
    room_id     TEXT NOT NULL REFERENCES rooms(id),
    upload_id   TEXT NOT NULL REFERENCES uploads(id),
    PRIMARY KEY (room_id, upload_id)
) WITHOUT ROWID;

INSERT OR IGNORE INTO room_uploads (room_id, upload_id)
    SELECT room_id, upload_id FROM messages WHERE upload_id IS NOT NULL;
INSERT OR IGNORE INTO room_uploads (room_id, upload_id) SELECT room_id, upload_id FROM puzzles;

-- "Does another room still use this upload?" is asked per upload when a
-- room is deleted.
CREATE INDEX room_uploads_by_upload ON room_uploads (upload_id);
CREATE INDEX messages_by_upload ON messages (upload_id) WHERE upload_id IS NOT NULL;
CREATE INDEX puzzles_by_upload ON puzzles (upload_id);

-- When someone was last connected to the room (its actor stopped, minutes
-- after the last connection closed): with its messages and board updates,
-- what says a class is idle, for retention. NULL until the room was served.
ALTER TABLE rooms ADD COLUMN active_at INTEGER;
