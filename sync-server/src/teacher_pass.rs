//! Teacher passes: who a teacher is across classes. A pass is a token
//! `t1.<kid>.<payload>.<mac>` signed with the same keys as room tokens (see
//! [`crate::keyring`]), whose payload is the JSON claims `sub` (the stable
//! teacher id), `name`, `role` (always `"teacher"`) and `exp` (seconds since
//! the epoch). The server hands one out with every class it creates, and a
//! district can mint them itself (`jigsync mint-teacher-token`) for
//! `--teacher-signup token`. The lobby shows a pass's holder the classes
//! their teacher id teaches.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::keyring::{now_secs, Keyring, TokenError};

const TAG: &str = "t1";
/// The only role a pass may name; anything else is refused.
const TEACHER_ROLE: &str = "teacher";
/// Longest teacher id: a district's own ids (an email, a staff number) fit.
pub const MAX_TEACHER_ID_CHARS: usize = 128;

/// The claims of a teacher pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeacherPass {
    pub sub: String,
    pub name: String,
    role: String,
    pub exp: u64,
}

impl TeacherPass {
    /// A pass for teacher `sub`, valid for `ttl` from now.
    pub fn new(sub: String, name: String, ttl: Duration) -> Self {
        TeacherPass { sub, name, role: TEACHER_ROLE.to_owned(), exp: now_secs().saturating_add(ttl.as_secs()) }
    }
}

/// Whether `id` can be a teacher id: 1 to [`MAX_TEACHER_ID_CHARS`]
/// characters, none of them a control character.
pub fn is_teacher_id(id: &str) -> bool {
    let chars = id.chars().count();
    (1..=MAX_TEACHER_ID_CHARS).contains(&chars) && !id.chars().any(char::is_control)
}

impl Keyring {
    pub fn sign_teacher_pass(&self, pass: &TeacherPass) -> String {
        self.seal(TAG, &serde_json::to_vec(pass).expect("teacher pass serializes"))
    }

    /// The claims of a pass one of the keys signed, for a teacher, that has
    /// not expired (never panics on input).
    pub fn verify_teacher_pass(&self, token: &str) -> Result<TeacherPass, TokenError> {
        let json = self.open(TAG, token)?;
        let pass: TeacherPass = serde_json::from_slice(&json).map_err(|_| TokenError::Invalid)?;
        if pass.role != TEACHER_ROLE || !is_teacher_id(&pass.sub) {
            return Err(TokenError::Invalid);
        }
        if now_secs() >= pass.exp {
            return Err(TokenError::Expired);
        }
        Ok(pass)
    }

    /// Whether `token` is a pass at all (rather than a room token).
    pub fn is_teacher_pass(token: &str) -> bool {
        token.starts_with("t1.")
    }
}

#[cfg(test)]
mod tests {
    use jigsync_schema::Role;

    use super::*;
    use crate::auth::{Claims, TokenKey};

    const DAY: Duration = Duration::from_secs(86_400);

    fn ring(byte: &str) -> Keyring {
        Keyring::new(vec![TokenKey::from_hex(&byte.repeat(32), "test").unwrap()], DAY, false).unwrap()
    }

    #[test]
    fn a_pass_carries_its_teacher_and_is_no_room_token() {
        let ring = ring("ab");
        let pass = TeacherPass::new("kim@school.example".into(), "Kim".into(), DAY);
        let token = ring.sign_teacher_pass(&pass);
        assert!(Keyring::is_teacher_pass(&token));
        assert_eq!(ring.verify_teacher_pass(&token), Ok(pass));
        assert_eq!(ring.verify(&token), Err(TokenError::Invalid));
        let room_token = ring.sign(&Claims { room: "r".into(), user: "u".into(), role: Role::Teacher });
        assert_eq!(ring.verify_teacher_pass(&room_token), Err(TokenError::Invalid));
        assert_eq!(self::ring("cd").verify_teacher_pass(&token), Err(TokenError::UnknownKey));
    }

    #[test]
    fn expired_or_non_teacher_passes_are_refused() {
        let ring = ring("ab");
        let mut pass = TeacherPass::new("t-1".into(), "Kim".into(), DAY);
        pass.exp = now_secs() - 1;
        assert_eq!(ring.verify_teacher_pass(&ring.sign_teacher_pass(&pass)), Err(TokenError::Expired));
        let mut student = TeacherPass::new("t-1".into(), "Kim".into(), DAY);
        student.role = "student".into();
        assert_eq!(ring.verify_teacher_pass(&ring.sign_teacher_pass(&student)), Err(TokenError::Invalid));
        let nobody = TeacherPass::new(String::new(), "Kim".into(), DAY);
        assert_eq!(ring.verify_teacher_pass(&ring.sign_teacher_pass(&nobody)), Err(TokenError::Invalid));
    }
}
