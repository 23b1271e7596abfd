-- Rooms, their members, their messages (chat, whisper, system) and uploads.
CREATE TABLE rooms (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    join_code   TEXT NOT NULL UNIQUE,
    owner_id    TEXT,
    created_at  INTEGER NOT NULL,
    closed_at   INTEGER
);

CREATE TABLE members (
    room_id     TEXT NOT NULL REFERENCES rooms(id),
    user_id     TEXT NOT NULL,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('teacher', 'student')),
    -- When the member (re)joined: "longest present" orders by this.
    joined_at   INTEGER NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('active', 'left', 'kicked')),
    PRIMARY KEY (room_id, user_id)
);

CREATE TABLE uploads (
    id            TEXT PRIMARY KEY,   -- sha256 of the bytes, hex
    content_type  TEXT NOT NULL,
    bytes         INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE messages (
    room_id     TEXT NOT NULL REFERENCES rooms(id),
    seq         INTEGER NOT NULL,
    ts          INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('chat', 'whisper', 'system')),
    from_id     TEXT,
    to_id       TEXT,
    text        TEXT NOT NULL,
    upload_id   TEXT REFERENCES uploads(id),
    event_kind  TEXT,
    event_user  TEXT,
    event_by    TEXT,
    PRIMARY KEY (room_id, seq)
) WITHOUT ROWID;
