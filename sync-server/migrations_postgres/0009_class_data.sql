-- What deleting classes and retention need.
--
-- Which rooms each upload was posted to: the Postgres twin of
-- migrations/0007_class_data.sql, filled the same way.
CREATE TABLE room_uploads (
    room_id     TEXT NOT NULL REFERENCES rooms(id),
    upload_id   TEXT NOT NULL REFERENCES uploads(id),
    PRIMARY KEY (room_id, upload_id)
);

INSERT INTO room_uploads (room_id, upload_id)
    SELECT DISTINCT room_id, upload_id FROM messages WHERE upload_id IS NOT NULL
    ON CONFLICT DO NOTHING;
INSERT INTO room_uploads (room_id, upload_id) SELECT DISTINCT room_id, upload_id FROM puzzles
    ON CONFLICT DO NOTHING;

CREATE INDEX room_uploads_by_upload ON room_uploads (upload_id);
CREATE INDEX messages_by_upload ON messages (upload_id) WHERE upload_id IS NOT NULL;
CREATE INDEX puzzles_by_upload ON puzzles (upload_id);

-- When someone was last connected to the room, as in SQLite.
ALTER TABLE rooms ADD COLUMN active_at BIGINT;
