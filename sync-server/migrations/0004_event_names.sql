-- What a system message's event carries besides ids: the names people had
-- when it was stored (so history names someone after they leave or are
-- removed) and, for `solved`, the board, its puzzle's mode and the time to
-- solve. Rows from before this migration keep NULL: clients fall back to
-- the names they know.
ALTER TABLE messages ADD COLUMN event_user_name TEXT;
ALTER TABLE messages ADD COLUMN event_by_name TEXT;
ALTER TABLE messages ADD COLUMN event_board INTEGER;
ALTER TABLE messages ADD COLUMN event_mode TEXT;
ALTER TABLE messages ADD COLUMN event_took_ms INTEGER;
