-- What teachers control in a room's chat, and what the end-of-class report
-- reads. `whispers`: 'visible_to_teachers' (students whisper, teachers see
-- it) or 'off'; `chat_off`: 1 while students may not chat; `muted`: 1 while
-- a teacher keeps a student from chatting. A board's `progress` (0..1) as of
-- its last write, and `board_drops`: how many writes each person made to
-- each board, kept apart from the update log (which compaction folds away).
ALTER TABLE rooms ADD COLUMN whispers TEXT NOT NULL DEFAULT 'visible_to_teachers'
    CHECK (whispers IN ('visible_to_teachers', 'off'));
ALTER TABLE rooms ADD COLUMN chat_off INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN muted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE boards ADD COLUMN progress REAL NOT NULL DEFAULT 0;

CREATE TABLE board_drops (
    room_id   TEXT NOT NULL,
    board_id  INTEGER NOT NULL,
    user_id   TEXT NOT NULL,
    drops     INTEGER NOT NULL,
    PRIMARY KEY (room_id, board_id, user_id)
) WITHOUT ROWID;
