-- Board history for replay (issue 15). The Postgres twin of
-- migrations/0009_board_history.sql: compaction moves folded updates to
-- board_history and keeps each snapshot as a keyframe; `author` is the
-- user whose write an update was (NULL: the server's own).
ALTER TABLE board_updates ADD COLUMN author TEXT;

CREATE TABLE board_history (
    room_id   TEXT NOT NULL,
    board_id  BIGINT NOT NULL,
    seq       BIGINT NOT NULL,
    ts        BIGINT NOT NULL,
    author    TEXT,
    data      BYTEA NOT NULL,
    PRIMARY KEY (room_id, board_id, seq)
);

CREATE TABLE board_keyframes (
    room_id   TEXT NOT NULL,
    board_id  BIGINT NOT NULL,
    upto_seq  BIGINT NOT NULL,        -- the keyframe holds updates 1..=upto_seq
    ts        BIGINT NOT NULL,        -- the time of update upto_seq
    data      BYTEA NOT NULL,
    PRIMARY KEY (room_id, board_id, upto_seq)
);

-- Boards compacted before history was kept start their timeline at their
-- snapshot, dated by the first update after it (0 if there is none).
INSERT INTO board_keyframes (room_id, board_id, upto_seq, ts, data)
SELECT s.room_id, s.board_id, s.upto_seq,
       COALESCE((SELECT MIN(u.ts) FROM board_updates u
                 WHERE u.room_id = s.room_id AND u.board_id = s.board_id AND u.seq > s.upto_seq), 0),
       s.data
FROM board_snapshots s;
