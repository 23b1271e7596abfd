//! The rules teachers set for a room's chat: whether students may whisper,
//! whether the class may chat at all, and who is muted. Sent in the welcome
//! and again (`chatrules`) whenever a teacher changes one.

use serde::{Deserialize, Serialize};

/// What happens to a whisper between students.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhisperRule {
    /// Students may whisper; the room's teachers receive every whisper too,
    /// marked as one (the default: a school must be able to see what
    /// students send each other).
    #[default]
    VisibleToTeachers,
    /// Students may not whisper (refused with `whispers_off`); teachers
    /// still may.
    Off,
}

impl WhisperRule {
    pub fn as_str(self) -> &'static str {
        match self {
            WhisperRule::VisibleToTeachers => "visible_to_teachers",
            WhisperRule::Off => "off",
        }
    }
}

/// A room's chat rules as everyone sees them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatRules {
    pub whispers: WhisperRule,
    /// Students may not chat or whisper (refused with `chat_off`); teachers
    /// still may.
    pub chat_off: bool,
    /// User ids of the students a teacher muted (refused with `muted`).
    pub muted: Vec<String>,
}
