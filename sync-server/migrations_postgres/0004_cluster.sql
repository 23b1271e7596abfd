-- Several nodes: which node owns each room (a lease with an epoch that
-- every commit of the room checks), and where each node can be reached.
CREATE TABLE room_leases (
    room_id     TEXT PRIMARY KEY REFERENCES rooms(id),
    node_id     TEXT NOT NULL,
    -- Raised by every takeover; a commit under an older epoch is refused.
    epoch       BIGINT NOT NULL,
    -- On the database's clock, so nodes' clocks do not matter.
    expires_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE cluster_nodes (
    node_id        TEXT PRIMARY KEY,
    advertise_url  TEXT NOT NULL,
    seen_at        TIMESTAMPTZ NOT NULL
);

-- How many of each room's members are connected, as its owner last said: the
-- lobby of every node shows it (believed only while that node still holds
-- the room's lease).
CREATE TABLE room_presence (
    room_id  TEXT PRIMARY KEY REFERENCES rooms(id),
    node_id  TEXT NOT NULL,
    online   BIGINT NOT NULL
);
