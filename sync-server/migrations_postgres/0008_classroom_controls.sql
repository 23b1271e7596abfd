-- What teachers control in a room's chat, and what the end-of-class report
-- reads. The Postgres twin of migrations/0006_classroom_controls.sql.
ALTER TABLE rooms ADD COLUMN whispers TEXT NOT NULL DEFAULT 'visible_to_teachers'
    CHECK (whispers IN ('visible_to_teachers', 'off'));
ALTER TABLE rooms ADD COLUMN chat_off BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE members ADD COLUMN muted BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE boards ADD COLUMN progress DOUBLE PRECISION NOT NULL DEFAULT 0;

CREATE TABLE board_drops (
    room_id   TEXT NOT NULL,
    board_id  BIGINT NOT NULL,
    user_id   TEXT NOT NULL,
    drops     BIGINT NOT NULL,
    PRIMARY KEY (room_id, board_id, user_id)
);
