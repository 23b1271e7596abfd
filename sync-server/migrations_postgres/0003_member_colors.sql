-- Each member's color, chosen when they first join so that people who join
-- one after another get clearly different colors. The Postgres twin of
-- migrations/0003_member_colors.sql: '' means "derive it from the user id".
ALTER TABLE members ADD COLUMN color TEXT NOT NULL DEFAULT '';
