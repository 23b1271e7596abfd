-- Whether teachers have closed the room to new students (`joining`). The
-- Postgres twin of migrations/0005_join_lock.sql.
ALTER TABLE rooms ADD COLUMN join_locked BOOLEAN NOT NULL DEFAULT FALSE;
