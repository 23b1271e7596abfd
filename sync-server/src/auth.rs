//! Room tokens: who a connection is, in which room, with which role.
//!
//! This file holds the claims and one signing key; [`crate::keyring`] signs
//! and verifies tokens with the configured keys. Keys are configuration
//! shared by every node of a cluster (`--signing-key-file` or
//! `JIGSYNC_SIGNING_KEY`: 64 hex characters, as `openssl rand -hex 32` writes
//! them); a single node without one keeps a key of its own in its data dir.
//! Revocation (kicks, closed rooms) is a membership check against storage,
//! not a property of the token.

use std::io::Write;
use std::path::Path;

use hmac::{Hmac, KeyInit, Mac};
use jigsync_schema::Role;
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const KEY_FILE: &str = "signing.key";
const KEY_BYTES: usize = 32;
/// What a node proof signs. Spaces never occur in a token's payload (it is
/// base64url), so no token shares a signature with it.
const NODE_PROOF_CONTEXT: &[u8] = b"jigsync node to node";
/// Hashed before the key for its id, so the id is no other hash of the key.
const KID_CONTEXT: &[u8] = b"jigsync key id";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    #[serde(rename = "r")]
    pub room: String,
    #[serde(rename = "u")]
    pub user: String,
    #[serde(rename = "t")]
    pub role: Role,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("signing key {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("signing key {0} is not {KEY_BYTES} bytes; delete it to make a new one (all tokens become invalid)")]
    Corrupt(String),
    #[error("the configured signing key ({0}) must be 64 hex characters")]
    NotHex(String),
}

#[derive(Clone)]
pub struct TokenKey {
    key: [u8; KEY_BYTES],
}

impl TokenKey {
    /// A key given as hex (surrounding white space is ignored); `from` says
    /// where it came from, for the error.
    pub fn from_hex(hex_key: &str, from: &str) -> Result<Self, KeyError> {
        let bytes = hex::decode(hex_key.trim()).map_err(|_| KeyError::NotHex(from.to_owned()))?;
        let key = bytes.try_into().map_err(|_| KeyError::NotHex(from.to_owned()))?;
        Ok(TokenKey { key })
    }

    /// A key from a file holding it as hex (shared by a cluster's nodes).
    pub fn from_file(path: &Path) -> Result<Self, KeyError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| KeyError::Io { path: path.display().to_string(), source })?;
        Self::from_hex(&text, &path.display().to_string())
    }

    /// Loads the key from the data dir, creating it (mode 0600) on first run.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, KeyError> {
        let path = data_dir.join(KEY_FILE);
        let io = |source| KeyError::Io { path: path.display().to_string(), source };
        match std::fs::read(&path) {
            Ok(bytes) => {
                let key = bytes.try_into().map_err(|_| KeyError::Corrupt(path.display().to_string()))?;
                Ok(TokenKey { key })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; KEY_BYTES];
                rand::rng().fill(&mut key);
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(&path).map_err(io)?;
                file.write_all(&key).map_err(io)?;
                file.sync_all().map_err(io)?;
                Ok(TokenKey { key })
            }
            Err(e) => Err(io(e)),
        }
    }

    /// The key's public name in tokens (`kid`): the first 8 hex characters
    /// of a SHA-256 over it, so a verifier can pick the key without trying
    /// every one, and the name reveals nothing usable about the key.
    pub fn kid(&self) -> String {
        let digest = Sha256::new().chain_update(KID_CONTEXT).chain_update(self.key).finalize();
        hex::encode(&digest[..4])
    }

    /// An HMAC-SHA256 keyed with this key.
    pub(crate) fn mac(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key).expect("HMAC takes keys of any length")
    }

    /// What a node shows another node of the cluster when it forwards a
    /// request (all nodes share the key, so all compute the same proof): the
    /// receiving node then believes the client address the request carries.
    /// Derived from the key, so no second secret needs configuring.
    pub fn node_proof(&self) -> String {
        let mut mac = self.mac();
        mac.update(NODE_PROOF_CONTEXT);
        hex::encode(mac.finalize().into_bytes())
    }

    /// Checks a [`Self::node_proof`] in constant time.
    pub fn is_node_proof(&self, proof: &str) -> bool {
        let Ok(proof) = hex::decode(proof) else { return false };
        let mut mac = self.mac();
        mac.update(NODE_PROOF_CONTEXT);
        mac.verify_slice(&proof).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_survive_a_reload() {
        let dir = tempfile::tempdir().unwrap();
        let key = TokenKey::load_or_create(dir.path()).unwrap();
        let reloaded = TokenKey::load_or_create(dir.path()).unwrap();
        assert_eq!(key.kid(), reloaded.kid());
        assert_eq!(key.node_proof(), reloaded.node_proof());
    }

    #[test]
    fn node_proofs_are_the_keys_own() {
        let key = TokenKey::from_hex(&"ab".repeat(32), "test").unwrap();
        let other = TokenKey::from_hex(&"cd".repeat(32), "test").unwrap();
        assert!(key.is_node_proof(&key.node_proof()));
        assert!(!other.is_node_proof(&key.node_proof()));
        assert!(!key.is_node_proof("not hex"));
        assert!(!key.is_node_proof(""));
    }

    #[test]
    fn key_ids_are_short_stable_and_not_the_key() {
        let hex_key = "8f".repeat(KEY_BYTES);
        let key = TokenKey::from_hex(&hex_key, "test").unwrap();
        let kid = key.kid();
        assert_eq!(kid.len(), 8);
        assert!(kid.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(!hex_key.contains(&kid));
        assert_eq!(TokenKey::from_hex(&hex_key, "again").unwrap().kid(), kid);
        assert_ne!(TokenKey::from_hex(&"90".repeat(KEY_BYTES), "test").unwrap().kid(), kid);
    }

    #[test]
    fn a_configured_key_is_the_same_key_on_every_node() {
        let hex_key = "8f".repeat(KEY_BYTES);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cluster.key");
        std::fs::write(&file, format!("{hex_key}\n")).unwrap();
        let (one, two) = (TokenKey::from_hex(&hex_key, "env").unwrap(), TokenKey::from_file(&file).unwrap());
        assert_eq!(one.kid(), two.kid());
        assert!(two.is_node_proof(&one.node_proof()));
        assert!(matches!(TokenKey::from_hex("abc", "env"), Err(KeyError::NotHex(_))));
        assert!(matches!(TokenKey::from_hex(&"zz".repeat(KEY_BYTES), "env"), Err(KeyError::NotHex(_))));
    }
}
