//! Who may create a class (`--teacher-signup`): anyone (`open`), whoever
//! knows the operator's secret (`secret`), or the holder of a teacher pass
//! the district minted (`token`). A teacher who created a class holds a pass
//! from then on, and a valid pass is always enough: in `secret` mode the
//! secret is asked for once per teacher, not once per class. The result is
//! the teacher's identity, which the lobby scopes by.

use std::path::Path;
use std::time::Duration;

use clap::ValueEnum;
use hmac::Mac;
use jigsync_schema::ErrorCode;
use serde::Serialize;

use crate::error::ApiError;
use crate::ids;
use crate::keyring::Keyring;
use crate::teacher_pass::TeacherPass;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SignupMode {
    Open,
    Secret,
    Token,
}

#[derive(Debug, thiserror::Error)]
pub enum SignupConfigError {
    #[error("--teacher-signup secret needs --teacher-signup-secret-file")]
    NoSecret,
    #[error("teacher signup secret {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("teacher signup secret {0} is empty")]
    Empty(String),
}

/// The signup rule in force, with the secret it compares against.
pub struct Signup {
    pub mode: SignupMode,
    secret: Option<String>,
    /// How long the passes this server hands out are valid.
    pass_ttl: Duration,
}

/// What a class is created as: the teacher's id and the pass to hand back.
pub struct SignedUp {
    pub teacher_id: String,
    pub pass: String,
}

impl Signup {
    pub fn new(mode: SignupMode, secret_file: Option<&Path>, pass_ttl: Duration) -> Result<Self, SignupConfigError> {
        let secret = match (mode, secret_file) {
            (SignupMode::Secret, None) => return Err(SignupConfigError::NoSecret),
            (_, None) => None,
            (_, Some(path)) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|source| SignupConfigError::Io { path: path.display().to_string(), source })?;
                let secret = text.trim().to_owned();
                if secret.is_empty() {
                    return Err(SignupConfigError::Empty(path.display().to_string()));
                }
                Some(secret)
            }
        };
        Ok(Signup { mode, secret, pass_ttl })
    }

    /// Decides whether a class may be created by whoever presents `pass`
    /// (a teacher pass, from the `Authorization` header) and `secret` (the
    /// request's `signupSecret`), under the name `teacher_name`.
    pub fn admit(
        &self,
        keys: &Keyring,
        pass: Option<&str>,
        secret: Option<&str>,
        teacher_name: &str,
    ) -> Result<SignedUp, ApiError> {
        if let Some(token) = pass {
            let claims = keys.verify_teacher_pass(token).map_err(|err| ApiError::unauthorized(err.to_string()))?;
            // A district's pass keeps the expiry the district gave it; one of
            // ours is renewed, so an active teacher never needs the secret again.
            let pass = match self.mode {
                SignupMode::Token => token.to_owned(),
                SignupMode::Open | SignupMode::Secret => {
                    keys.sign_teacher_pass(&TeacherPass::new(claims.sub.clone(), claims.name, self.pass_ttl))
                }
            };
            return Ok(SignedUp { teacher_id: claims.sub, pass });
        }
        match self.mode {
            SignupMode::Open => {}
            SignupMode::Secret => {
                let expected = self.secret.as_deref().unwrap_or_default();
                if !secret.is_some_and(|given| same_secret(keys, given, expected)) {
                    return Err(ApiError::new(
                        ErrorCode::SignupSecretRequired,
                        "creating a class needs this server's signup secret",
                    ));
                }
            }
            SignupMode::Token => {
                return Err(ApiError::new(
                    ErrorCode::TeacherTokenRequired,
                    "creating a class needs a teacher token from your district",
                ))
            }
        }
        let teacher_id = ids::teacher_id();
        let pass =
            keys.sign_teacher_pass(&TeacherPass::new(teacher_id.clone(), teacher_name.to_owned(), self.pass_ttl));
        Ok(SignedUp { teacher_id, pass })
    }
}

/// Compares secrets in constant time: both are MACed with the signing key
/// and the MACs compared by `verify_slice`.
fn same_secret(keys: &Keyring, given: &str, expected: &str) -> bool {
    let mac_of = |text: &str| {
        let mut mac = keys.signing_key().mac();
        mac.update(text.as_bytes());
        mac
    };
    let expected = mac_of(expected).finalize().into_bytes();
    mac_of(given).verify_slice(&expected).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::TokenKey;

    fn keys() -> Keyring {
        Keyring::new(vec![TokenKey::from_hex(&"ab".repeat(32), "test").unwrap()], Duration::from_secs(60), false)
            .unwrap()
    }

    fn signup(mode: SignupMode, secret: Option<&str>) -> Signup {
        Signup { mode, secret: secret.map(str::to_owned), pass_ttl: Duration::from_secs(3600) }
    }

    #[test]
    fn secrets_compare_exactly() {
        let keys = keys();
        assert!(same_secret(&keys, "open sesame", "open sesame"));
        assert!(!same_secret(&keys, "open sesam", "open sesame"));
        assert!(!same_secret(&keys, "", "open sesame"));
    }

    #[test]
    fn each_mode_asks_for_what_it_needs() {
        let keys = keys();
        assert!(signup(SignupMode::Open, None).admit(&keys, None, None, "Kim").is_ok());
        let secret = signup(SignupMode::Secret, Some("s3"));
        let refused = secret.admit(&keys, None, Some("s4"), "Kim").err().map(|e| e.code);
        assert_eq!(refused, Some(ErrorCode::SignupSecretRequired));
        let first = secret.admit(&keys, None, Some("s3"), "Kim").unwrap();
        let again = secret.admit(&keys, Some(&first.pass), None, "Kim").unwrap();
        assert_eq!(again.teacher_id, first.teacher_id);
        let token = signup(SignupMode::Token, None);
        let refused = token.admit(&keys, None, Some("s3"), "Kim").err().map(|e| e.code);
        assert_eq!(refused, Some(ErrorCode::TeacherTokenRequired));
        let district =
            keys.sign_teacher_pass(&TeacherPass::new("staff-7".into(), "Kim".into(), Duration::from_secs(60)));
        let admitted = token.admit(&keys, Some(&district), None, "Kim").unwrap();
        assert_eq!((admitted.teacher_id.as_str(), admitted.pass.as_str()), ("staff-7", district.as_str()));
        let refused = token.admit(&keys, Some("t1.x.y.z"), None, "Kim").err().map(|e| e.code);
        assert_eq!(refused, Some(ErrorCode::Unauthorized));
    }
}
