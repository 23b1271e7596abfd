-- Whether teachers have closed the room to new students (`joining`):
-- 1 while joins by code are refused.
ALTER TABLE rooms ADD COLUMN join_locked INTEGER NOT NULL DEFAULT 0;
