-- Which teacher (the stable id of their teacher pass) each teacher member of
-- a room is, so the lobby shows a teacher their own and co-taught classes.
-- Rows go with their room.
CREATE TABLE teacher_ids (
    room_id     TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL,
    teacher_id  TEXT NOT NULL,
    PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;

CREATE INDEX teacher_ids_by_teacher ON teacher_ids (teacher_id);
