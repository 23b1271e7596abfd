-- The bytes of uploads, so that every node on this database serves every
-- upload (with SQLite they are files under the data dir). Keyed by the same
-- content id as `uploads`: the SHA-256 of the bytes, so storing an id again
-- stores the same bytes, and is skipped.
--
-- No reference to `uploads`: the bytes are written before the row (a node
-- that finds the row must find the bytes), so for a moment, or for good
-- after a crash between the two, bytes have no row yet. Such bytes are
-- never served, and the next upload of that picture uses them.
CREATE TABLE upload_bytes (
    id    TEXT PRIMARY KEY,
    data  BYTEA NOT NULL
);
