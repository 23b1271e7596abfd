//! Upload grants: what lets a room's members fetch its pictures. An `<img>`
//! cannot send a Bearer header, so a picture's URL carries a grant instead:
//! `/uploads/<id>.<ext>?grant=g1.<kid>.<payload>.<mac>`, sealed with the
//! same keys as room tokens (see [`crate::keyring`]), whose payload is the
//! JSON `{"r": room, "exp": seconds since the epoch}`. A grant reads only
//! the uploads its room uses, and says nothing about who holds it: it is a
//! short-lived read pass, not an identity.
//!
//! Grants expire on a fixed grid: every grant for a room made within one
//! [`GRANT_STEP`] is the same string, so the picture URLs of a whole class
//! stay the same for a while and browsers reuse what they fetched. A grant
//! lives between [`GRANT_LIFE`] minus one step and [`GRANT_LIFE`].

use std::time::Duration;

use jigsync_schema::UploadGrant;
use serde::{Deserialize, Serialize};

use crate::keyring::{now_secs, Keyring, TokenError};

const TAG: &str = "g1";
/// The longest a grant lives.
pub const GRANT_LIFE: Duration = Duration::from_secs(3600);
/// Grants made within one step are identical.
pub const GRANT_STEP: Duration = Duration::from_secs(600);

/// The claims of a grant.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Grant {
    #[serde(rename = "r")]
    room: String,
    exp: u64,
}

/// A room whose grant was checked, and how long the grant still lives.
#[derive(Debug, PartialEq, Eq)]
pub struct GrantedRoom {
    pub room: String,
    pub remaining: Duration,
}

impl Keyring {
    /// The grant for `room`'s uploads, signed by the first key.
    pub fn upload_grant(&self, room: &str) -> UploadGrant {
        self.upload_grant_at(room, now_secs())
    }

    fn upload_grant_at(&self, room: &str, now: u64) -> UploadGrant {
        let step = GRANT_STEP.as_secs();
        let exp = (now - now % step).saturating_add(GRANT_LIFE.as_secs());
        let grant = Grant { room: room.to_owned(), exp };
        UploadGrant {
            grant: self.seal(TAG, &serde_json::to_vec(&grant).expect("grant serializes")),
            expires_at: exp.saturating_mul(1000),
        }
    }

    /// The room of a grant one of the keys signed and that has not expired
    /// (never panics on input).
    pub fn verify_upload_grant(&self, grant: &str) -> Result<GrantedRoom, TokenError> {
        self.verify_upload_grant_at(grant, now_secs())
    }

    fn verify_upload_grant_at(&self, grant: &str, now: u64) -> Result<GrantedRoom, TokenError> {
        let json = self.open(TAG, grant)?;
        let grant: Grant = serde_json::from_slice(&json).map_err(|_| TokenError::Invalid)?;
        if now >= grant.exp {
            return Err(TokenError::Expired);
        }
        Ok(GrantedRoom { room: grant.room, remaining: Duration::from_secs(grant.exp - now) })
    }
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use jigsync_schema::Role;

    use super::*;
    use crate::auth::{Claims, TokenKey};

    const NOW: u64 = 1_800_000_000;

    fn ring(keys: &[&str]) -> Keyring {
        let keys = keys.iter().map(|b| TokenKey::from_hex(&b.repeat(32), "test").unwrap()).collect();
        Keyring::new(keys, GRANT_LIFE, false).unwrap()
    }

    #[test]
    fn a_grant_names_its_room_and_lives_at_most_an_hour() {
        let ring = ring(&["ab"]);
        let made = ring.upload_grant_at("r1", NOW);
        assert!(made.grant.starts_with("g1."));
        let granted = ring.verify_upload_grant_at(&made.grant, NOW).unwrap();
        assert_eq!(granted.room, "r1");
        assert!(granted.remaining <= GRANT_LIFE && granted.remaining > GRANT_LIFE - GRANT_STEP);
        assert_eq!(made.expires_at, (NOW + granted.remaining.as_secs()) * 1000);
        let end = made.expires_at / 1000;
        assert!(ring.verify_upload_grant_at(&made.grant, end - 1).is_ok());
        assert_eq!(ring.verify_upload_grant_at(&made.grant, end), Err(TokenError::Expired));
    }

    #[test]
    fn grants_within_a_step_are_the_same_and_later_ones_differ() {
        let ring = ring(&["ab"]);
        let start = NOW - NOW % GRANT_STEP.as_secs();
        let first = ring.upload_grant_at("r1", start);
        assert_eq!(ring.upload_grant_at("r1", start + GRANT_STEP.as_secs() - 1), first);
        assert_ne!(ring.upload_grant_at("r1", start + GRANT_STEP.as_secs()), first);
        assert_ne!(ring.upload_grant_at("r2", start), first);
    }

    #[test]
    fn forged_rotated_out_and_other_kinds_of_tokens_are_refused() {
        let ring = ring(&["ab"]);
        let grant = ring.upload_grant_at("r1", NOW).grant;
        let parts: Vec<&str> = grant.split('.').collect();
        let other_room = URL_SAFE_NO_PAD.encode(br#"{"r":"r2","exp":4000000000}"#);
        let forged = format!("g1.{}.{other_room}.{}", parts[1], parts[3]);
        assert_eq!(ring.verify_upload_grant_at(&forged, NOW), Err(TokenError::Invalid));
        let rotated = self::ring(&["cd"]);
        assert_eq!(rotated.verify_upload_grant_at(&grant, NOW), Err(TokenError::UnknownKey));
        assert!(self::ring(&["cd", "ab"]).verify_upload_grant_at(&grant, NOW).is_ok());
        let token = ring.sign(&Claims { room: "r1".into(), user: "u".into(), role: Role::Teacher });
        assert_eq!(ring.verify_upload_grant_at(&token, NOW), Err(TokenError::Invalid));
        for junk in ["", "g1", "g1...", "g1.a.b.c", "g1.a.b.c.d"] {
            assert!(ring.verify_upload_grant_at(junk, NOW).is_err(), "{junk}");
        }
    }
}
