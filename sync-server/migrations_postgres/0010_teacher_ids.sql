-- Which teacher each teacher member of a room is. The Postgres twin of
-- migrations/0008_teacher_ids.sql.
CREATE TABLE teacher_ids (
    room_id     TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL,
    teacher_id  TEXT NOT NULL,
    PRIMARY KEY (room_id, user_id)
);

CREATE INDEX teacher_ids_by_teacher ON teacher_ids (teacher_id);
