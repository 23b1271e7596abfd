//! Loading a room whole on Postgres, where every statement is a round trip
//! to another machine: one statement for the room, its members, its last
//! message seq, its last ids and its active puzzle (rows aggregated into
//! JSON), and one for every board of that puzzle with its snapshot and the
//! updates after it (arrays of BYTEA). Both run in one repeatable-read
//! transaction, so they see the database as of the same moment; with BEGIN
//! and COMMIT that is four round trips, whatever the number of boards.

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};

use crate::storage::stored::{board_row, json_row, json_rows, last_id, member_row, puzzle_row, room_row, seq_u64};
use crate::storage::{BoardLog, BoardRow, LoadedRoom, PuzzleRow, StorageError};

/// Read-only, and one snapshot for the whole transaction (read committed
/// would take a new one per statement).
pub const BEGIN: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";

/// The room row, then what hangs off it. A closed room matches nothing.
const ROOM: &str = r#"
SELECT r.*,
    (SELECT COALESCE(json_agg(m ORDER BY m.joined_at, m.user_id COLLATE "C"), '[]')::text
        FROM members m WHERE m.room_id = r.id) AS members_json,
    (SELECT MAX(seq) FROM messages WHERE room_id = r.id) AS last_seq,
    (SELECT MAX(puzzle_id) FROM puzzles WHERE room_id = r.id) AS last_puzzle,
    (SELECT MAX(board_id) FROM boards WHERE room_id = r.id) AS last_board,
    (SELECT row_to_json(p)::text FROM puzzles p WHERE p.room_id = r.id
        ORDER BY p.puzzle_id DESC LIMIT 1) AS puzzle_json
FROM rooms r
WHERE r.id = $1 AND r.closed_at IS NULL
"#;

/// One row per board of the puzzle: the board, its snapshot (NULL if none)
/// and the updates after it as two parallel arrays (NULL if none), the same
/// updates `board_log` reads.
const BOARDS: &str = r#"
SELECT b.*, s.upto_seq AS snapshot_seq, s.data AS snapshot_data, u.seqs AS update_seqs, u.data AS update_data
FROM boards b
LEFT JOIN board_snapshots s ON s.room_id = b.room_id AND s.board_id = b.board_id
LEFT JOIN LATERAL (
    SELECT array_agg(bu.seq ORDER BY bu.seq) AS seqs, array_agg(bu.data ORDER BY bu.seq) AS data
    FROM board_updates bu
    WHERE bu.room_id = b.room_id AND bu.board_id = b.board_id AND bu.seq > COALESCE(s.upto_seq, 0)
) u ON TRUE
WHERE b.room_id = $1 AND b.puzzle_id = $2
ORDER BY b.board_id
"#;

pub async fn load_room(pool: &PgPool, id: &str) -> Result<Option<LoadedRoom>, StorageError> {
    let mut tx = pool.begin_with(BEGIN).await?;
    let loaded = load_in(&mut tx, id).await?;
    tx.commit().await?;
    Ok(loaded)
}

async fn load_in(conn: &mut PgConnection, id: &str) -> Result<Option<LoadedRoom>, StorageError> {
    let Some(row) = sqlx::query(ROOM).bind(id).fetch_optional(&mut *conn).await? else {
        return Ok(None);
    };
    let room = room_row(&row)?;
    let members_json: String = row.try_get("members_json")?;
    let members = json_rows(&members_json, "members")?.iter().map(member_row).collect::<Result<Vec<_>, _>>()?;
    let last_seq = row.try_get::<Option<i64>, _>("last_seq")?.and_then(|s| u64::try_from(s).ok()).unwrap_or(0);
    let last_ids = (last_id(row.try_get("last_puzzle")?), last_id(row.try_get("last_board")?));
    let puzzle = match row.try_get::<Option<String>, _>("puzzle_json")? {
        Some(json) => {
            let puzzle = puzzle_row(&json_row(&json, "puzzle")?)?;
            let boards = boards_in(conn, &puzzle).await?;
            Some((puzzle, boards))
        }
        None => None,
    };
    Ok(Some(LoadedRoom { room, members, last_seq, last_ids, puzzle }))
}

async fn boards_in(conn: &mut PgConnection, puzzle: &PuzzleRow) -> Result<Vec<(BoardRow, BoardLog)>, StorageError> {
    let rows = sqlx::query(BOARDS).bind(&puzzle.room).bind(i64::from(puzzle.id)).fetch_all(conn).await?;
    rows.iter().map(|row| Ok((board_row(row)?, board_log(row)?))).collect()
}

fn board_log(row: &PgRow) -> Result<BoardLog, StorageError> {
    let snapshot = match (row.try_get::<Option<i64>, _>("snapshot_seq")?, row.try_get("snapshot_data")?) {
        (Some(seq), Some(data)) => Some((seq_u64(seq)?, data)),
        _ => None,
    };
    let seqs: Vec<i64> = row.try_get::<Option<_>, _>("update_seqs")?.unwrap_or_default();
    let data: Vec<Vec<u8>> = row.try_get::<Option<_>, _>("update_data")?.unwrap_or_default();
    if seqs.len() != data.len() {
        return Err(StorageError::Corrupt(format!("{} update seqs for {} updates", seqs.len(), data.len())));
    }
    let updates = seqs.into_iter().zip(data).map(|(seq, data)| Ok((seq_u64(seq)?, data)));
    Ok(BoardLog { snapshot, updates: updates.collect::<Result<_, StorageError>>()? })
}
