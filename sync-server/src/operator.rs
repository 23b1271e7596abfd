//! The operator's credential: a secret in a file (`--operator-token-file`)
//! that, sent as `Authorization: Bearer <secret>`, may do what a district
//! operator needs beyond any one class's teacher (deleting any class).
//! It is not a signed token: it never expires and is changed by replacing
//! the file and restarting, so it belongs to a person or a script, never a
//! browser.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Shorter secrets are refused at start: the secret is the only thing
/// between the network and every class's deletion.
pub const MIN_OPERATOR_TOKEN_CHARS: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum OperatorTokenError {
    #[error("operator token file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("operator token file {path}: the token must be at least {MIN_OPERATOR_TOKEN_CHARS} characters")]
    TooShort { path: PathBuf },
}

/// Only the secret's digest is kept, and presented secrets are compared by
/// their digests: the time a comparison takes tells nothing about the
/// secret's characters.
#[derive(Clone)]
pub struct OperatorToken {
    digest: [u8; 32],
}

impl std::fmt::Debug for OperatorToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OperatorToken(..)")
    }
}

impl OperatorToken {
    /// Reads the secret: the file's contents without surrounding whitespace.
    pub fn from_file(path: &Path) -> Result<Self, OperatorTokenError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| OperatorTokenError::Read { path: path.to_owned(), source })?;
        let secret = text.trim();
        if secret.chars().count() < MIN_OPERATOR_TOKEN_CHARS {
            return Err(OperatorTokenError::TooShort { path: path.to_owned() });
        }
        Ok(OperatorToken { digest: Sha256::digest(secret.as_bytes()).into() })
    }

    pub fn matches(&self, presented: &str) -> bool {
        let presented: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        presented == self.digest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_secret_in_the_file_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("operator");
        std::fs::write(&path, format!("  {}\n", "s".repeat(40))).unwrap();
        let token = OperatorToken::from_file(&path).unwrap();
        assert!(token.matches(&"s".repeat(40)));
        assert!(!token.matches(&"s".repeat(39)));
        assert!(!token.matches(""));
        std::fs::write(&path, "short\n").unwrap();
        assert!(matches!(OperatorToken::from_file(&path), Err(OperatorTokenError::TooShort { .. })));
    }
}
