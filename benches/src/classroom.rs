//! One simulated classroom: who connects where, with which board. For
//! Jigsync it is set up over HTTP (create the room, join the students,
//! upload a picture, start an individual puzzle); the peers have no setup
//! and get a synthetic one with the same shape.

use serde_json::{json, Value};

use crate::harness::post_json;

pub struct Classroom {
    /// Room id (Jigsync) or name (peers).
    pub room: String,
    /// The teacher's token (empty for the peers).
    pub teacher: String,
    /// Each student's token and board.
    pub students: Vec<(String, u32)>,
    pub width: f32,
    pub height: f32,
    pub pieces: u16,
}

impl Classroom {
    /// The board the teacher focuses: the first student's.
    pub fn focused(&self) -> u32 {
        self.students.first().map(|s| s.1).unwrap_or(0)
    }

    /// A classroom for a peer server: boards numbered per room, an 800×600
    /// picture cut into `side`×`side` pieces.
    pub fn synthetic(index: usize, students: usize, side: u16) -> Classroom {
        let students = (0..students).map(|i| (String::new(), (index * students + i + 1) as u32)).collect();
        Classroom {
            room: format!("r{index}"),
            teacher: String::new(),
            students,
            width: 800.0,
            height: 600.0,
            pieces: side * side,
        }
    }

    /// Creates a Jigsync room with `students` students and an individual
    /// puzzle of `side`×`side` pieces.
    pub async fn create(http: &reqwest::Client, addr: &str, students: usize, side: u16) -> Result<Classroom, String> {
        let room = OpenRoom::create(http, addr).await?;
        Classroom::fill(http, addr, room, students, side).await
    }

    /// Joins `students` to an open room and starts their individual puzzle.
    pub async fn fill(
        http: &reqwest::Client,
        addr: &str,
        room: OpenRoom,
        students: usize,
        side: u16,
    ) -> Result<Classroom, String> {
        let base = crate::endpoint::http_base(addr);
        let OpenRoom { id: room_id, teacher, join_code } = room;
        let room = json!({ "joinCode": join_code });
        let mut joined = Vec::new();
        for i in 0..students {
            let body = json!({ "joinCode": room["joinCode"], "name": format!("S{i}") });
            let student = post_json(http, &format!("{base}/api/join"), None, body).await;
            joined.push((text(&student, "token")?, text(&student, "userId")?));
        }
        let upload = || {
            let part = reqwest::multipart::Part::bytes(crate::harness::png(800, 600)).file_name("p.png");
            http.post(format!("{base}/api/rooms/{room_id}/uploads"))
                .bearer_auth(&teacher)
                .multipart(reqwest::multipart::Form::new().part("file", part))
        };
        let uploaded: Value = crate::harness::send_retrying(upload).await?.json().await.map_err(|e| e.to_string())?;
        let upload_id = text(&uploaded, "uploadId").map_err(|_| format!("upload failed: {uploaded}"))?;
        let body = json!({ "uploadId": upload_id, "rows": side, "cols": side, "mode": "individual" });
        let puzzle = post_json(http, &format!("{base}/api/rooms/{room_id}/puzzles"), Some(&teacher), body).await;
        let boards = puzzle["boards"].as_array().ok_or_else(|| format!("no puzzle: {puzzle}"))?;
        let mut seats = Vec::new();
        for (token, user) in joined {
            let board = boards
                .iter()
                .find(|b| b["members"][0] == user.as_str())
                .and_then(|b| b["boardId"].as_u64())
                .ok_or_else(|| format!("no board for {user}"))?;
            seats.push((token, board as u32));
        }
        let meta = &boards.first().ok_or("no boards")?["meta"];
        Ok(Classroom {
            room: room_id,
            teacher,
            students: seats,
            width: meta["width"].as_f64().unwrap_or(800.0) as f32,
            height: meta["height"].as_f64().unwrap_or(600.0) as f32,
            pieces: side * side,
        })
    }
}

/// A room just created: nobody has joined, no node runs it yet.
pub struct OpenRoom {
    pub id: String,
    pub teacher: String,
    pub join_code: String,
}

impl OpenRoom {
    pub async fn create(http: &reqwest::Client, addr: &str) -> Result<OpenRoom, String> {
        let body = json!({"name": "Drag", "teacherName": "T"});
        let room = post_json(http, &format!("{}/api/rooms", crate::endpoint::http_base(addr)), None, body).await;
        Ok(OpenRoom {
            id: text(&room, "roomId")?,
            teacher: text(&room, "teacherToken")?,
            join_code: text(&room, "joinCode")?,
        })
    }
}

fn text(v: &Value, key: &str) -> Result<String, String> {
    v[key].as_str().map(str::to_owned).ok_or_else(|| format!("no {key} in {v}"))
}
