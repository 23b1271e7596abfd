-- Each member's color, chosen when they first join so that people who join
-- one after another get clearly different colors. Rows from before this
-- migration keep '' and fall back to the color derived from the user id.
ALTER TABLE members ADD COLUMN color TEXT NOT NULL DEFAULT '';
