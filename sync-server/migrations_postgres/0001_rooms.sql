-- Rooms, their members, their messages (chat, whisper, system) and uploads.
-- The Postgres twin of migrations/0001_rooms.sql: the same tables, columns,
-- keys, checks and references; SQLite's INTEGER is BIGINT here (timestamps
-- are milliseconds, seqs are u64 stored as i64).
CREATE TABLE rooms (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    -- Named, because create_room recognises a taken code by this constraint.
    join_code   TEXT NOT NULL CONSTRAINT rooms_join_code_key UNIQUE,
    owner_id    TEXT,
    created_at  BIGINT NOT NULL,
    closed_at   BIGINT
);

CREATE TABLE members (
    room_id     TEXT NOT NULL REFERENCES rooms(id),
    user_id     TEXT NOT NULL,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('teacher', 'student')),
    -- When the member (re)joined: "longest present" orders by this.
    joined_at   BIGINT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('active', 'left', 'kicked')),
    PRIMARY KEY (room_id, user_id)
);

CREATE TABLE uploads (
    id            TEXT PRIMARY KEY,   -- sha256 of the bytes, hex
    content_type  TEXT NOT NULL,
    bytes         BIGINT NOT NULL,
    created_at    BIGINT NOT NULL
);

-- The primary key (room_id, seq) is what refuses a second writer's message
-- with a seq already taken.
CREATE TABLE messages (
    room_id     TEXT NOT NULL REFERENCES rooms(id),
    seq         BIGINT NOT NULL,
    ts          BIGINT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('chat', 'whisper', 'system')),
    from_id     TEXT,
    to_id       TEXT,
    text        TEXT NOT NULL,
    upload_id   TEXT REFERENCES uploads(id),
    event_kind  TEXT,
    event_user  TEXT,
    event_by    TEXT,
    PRIMARY KEY (room_id, seq)
);
