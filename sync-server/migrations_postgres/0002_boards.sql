-- Puzzles, their boards, and each board's append-only Yjs update log with
-- periodic snapshots. The Postgres twin of migrations/0002_boards.sql:
-- every number is BIGINT (read back as i64 as from SQLite), flags BOOLEAN,
-- Yjs bytes BYTEA; meta and members stay JSON text, exactly
-- as the SQLite store keeps them.
ALTER TABLE rooms ADD COLUMN spotlight_board BIGINT;
ALTER TABLE rooms ADD COLUMN spotlight_hide_names BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE puzzles (
    room_id     TEXT NOT NULL REFERENCES rooms(id),
    puzzle_id   BIGINT NOT NULL,
    upload_id   TEXT NOT NULL REFERENCES uploads(id),
    rows        BIGINT NOT NULL,
    cols        BIGINT NOT NULL,
    mode        TEXT NOT NULL CHECK (mode IN ('individual', 'shared', 'groups')),
    meta        TEXT NOT NULL,      -- JSON BoardMeta shared by the puzzle's boards
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (room_id, puzzle_id)
);

CREATE TABLE boards (
    room_id       TEXT NOT NULL REFERENCES rooms(id),
    board_id      BIGINT NOT NULL,
    puzzle_id     BIGINT NOT NULL,
    members       TEXT NOT NULL,      -- JSON array of user ids
    locked        BOOLEAN NOT NULL DEFAULT FALSE,
    meta          TEXT NOT NULL,      -- JSON BoardMeta
    completed_at  BIGINT,
    PRIMARY KEY (room_id, board_id)
);

CREATE TABLE board_updates (
    room_id   TEXT NOT NULL,
    board_id  BIGINT NOT NULL,
    seq       BIGINT NOT NULL,
    ts        BIGINT NOT NULL,
    data      BYTEA NOT NULL,
    PRIMARY KEY (room_id, board_id, seq)
);

CREATE TABLE board_snapshots (
    room_id   TEXT NOT NULL,
    board_id  BIGINT NOT NULL,
    upto_seq  BIGINT NOT NULL,        -- the snapshot holds updates 1..=upto_seq
    data      BYTEA NOT NULL,
    PRIMARY KEY (room_id, board_id)
);
