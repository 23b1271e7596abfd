-- Puzzles, their boards, and each board's append-only Yjs update log with
-- periodic snapshots.
ALTER TABLE rooms ADD COLUMN spotlight_board INTEGER;
ALTER TABLE rooms ADD COLUMN spotlight_hide_names INTEGER NOT NULL DEFAULT 0;

CREATE TABLE puzzles (
    room_id     TEXT NOT NULL REFERENCES rooms(id),
    puzzle_id   INTEGER NOT NULL,
    upload_id   TEXT NOT NULL REFERENCES uploads(id),
    rows        INTEGER NOT NULL,
    cols        INTEGER NOT NULL,
    mode        TEXT NOT NULL CHECK (mode IN ('individual', 'shared', 'groups')),
    meta        TEXT NOT NULL,      -- JSON BoardMeta shared by the puzzle's boards
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (room_id, puzzle_id)
);

CREATE TABLE boards (
    room_id       TEXT NOT NULL REFERENCES rooms(id),
    board_id      INTEGER NOT NULL,
    puzzle_id     INTEGER NOT NULL,
    members       TEXT NOT NULL,      -- JSON array of user ids
    locked        INTEGER NOT NULL DEFAULT 0,
    meta          TEXT NOT NULL,      -- JSON BoardMeta
    completed_at  INTEGER,
    PRIMARY KEY (room_id, board_id)
);

CREATE TABLE board_updates (
    room_id   TEXT NOT NULL,
    board_id  INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    ts        INTEGER NOT NULL,
    data      BLOB NOT NULL,
    PRIMARY KEY (room_id, board_id, seq)
) WITHOUT ROWID;

CREATE TABLE board_snapshots (
    room_id   TEXT NOT NULL,
    board_id  INTEGER NOT NULL,
    upto_seq  INTEGER NOT NULL,       -- the snapshot holds updates 1..=upto_seq
    data      BLOB NOT NULL,
    PRIMARY KEY (room_id, board_id)
);
