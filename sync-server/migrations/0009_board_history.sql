-- Board history for replay (issue 15). Compaction no longer throws the
-- folded updates away: they move from board_updates to board_history, and
-- every snapshot it writes is also kept as a keyframe, so a board's whole
-- timeline can be rebuilt and a replay can start near any moment.
-- `author` is the user whose write an update was (NULL: the server's own,
-- such as the first scatter or a correction).
ALTER TABLE board_updates ADD COLUMN author TEXT;

CREATE TABLE board_history (
    room_id   TEXT NOT NULL,
    board_id  INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    ts        INTEGER NOT NULL,
    author    TEXT,
    data      BLOB NOT NULL,
    PRIMARY KEY (room_id, board_id, seq)
) WITHOUT ROWID;

CREATE TABLE board_keyframes (
    room_id   TEXT NOT NULL,
    board_id  INTEGER NOT NULL,
    upto_seq  INTEGER NOT NULL,       -- the keyframe holds updates 1..=upto_seq
    ts        INTEGER NOT NULL,       -- the time of update upto_seq
    data      BLOB NOT NULL,
    PRIMARY KEY (room_id, board_id, upto_seq)
) WITHOUT ROWID;

-- Boards compacted before history was kept start their timeline at their
-- snapshot, dated by the first update after it (0 if there is none).
INSERT INTO board_keyframes (room_id, board_id, upto_seq, ts, data)
SELECT s.room_id, s.board_id, s.upto_seq,
       COALESCE((SELECT MIN(u.ts) FROM board_updates u
                 WHERE u.room_id = s.room_id AND u.board_id = s.board_id AND u.seq > s.upto_seq), 0),
       s.data
FROM board_snapshots s;
