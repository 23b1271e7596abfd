-- What a system message's event carries besides ids: the names people had
-- when it was stored, and for `solved` the board, its puzzle's mode and the
-- time to solve. The Postgres twin of migrations/0004_event_names.sql;
-- older rows keep NULL.
ALTER TABLE messages ADD COLUMN event_user_name TEXT;
ALTER TABLE messages ADD COLUMN event_by_name TEXT;
ALTER TABLE messages ADD COLUMN event_board BIGINT;
ALTER TABLE messages ADD COLUMN event_mode TEXT;
ALTER TABLE messages ADD COLUMN event_took_ms BIGINT;
