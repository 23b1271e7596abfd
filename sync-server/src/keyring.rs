//! The configured signing keys, and the tokens they sign and verify.
//!
//! A token is `v2.<kid>.<payload>.<mac>`: the id of the key that signed it,
//! the base64url JSON claims with their expiry (`exp`, seconds since the
//! epoch), and an HMAC-SHA256 over `v2.<kid>.<payload>`, so tokens survive
//! restarts without a session table. The first key signs; every key is
//! accepted, picked by its id, so keys can be rotated without logging
//! everyone out. `v1.<payload>.<mac>` tokens (no key id, no expiry) from
//! before expiry existed are refused unless `--accept-unexpiring-tokens`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::Mac;
use serde::{Deserialize, Serialize};

use crate::auth::{Claims, TokenKey};

/// Why a token is refused. The texts are the close reasons and HTTP error
/// messages clients see (none repeats the token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("invalid token")]
    Invalid,
    #[error("token expired")]
    Expired,
    #[error("token signed by a key this server no longer accepts")]
    UnknownKey,
    #[error("token without expiry, no longer accepted")]
    Unexpiring,
    #[error("invalid token for this room")]
    OtherRoom,
}

/// The payload of a v2 token: the claims and their expiry.
#[derive(Serialize, Deserialize)]
struct Signed {
    #[serde(flatten)]
    claims: Claims,
    exp: u64,
}

pub struct Keyring {
    /// Never empty: the first signs.
    keys: Vec<(String, TokenKey)>,
    ttl: Duration,
    accept_unexpiring: bool,
}

impl Keyring {
    /// `keys` in order of preference (the first signs); keys given twice
    /// are kept once. Returns `None` without any key.
    pub fn new(keys: Vec<TokenKey>, ttl: Duration, accept_unexpiring: bool) -> Option<Self> {
        let mut ring: Vec<(String, TokenKey)> = Vec::with_capacity(keys.len());
        for key in keys {
            let kid = key.kid();
            if ring.iter().all(|(k, _)| *k != kid) {
                ring.push((kid, key));
            }
        }
        (!ring.is_empty()).then_some(Keyring { keys: ring, ttl, accept_unexpiring })
    }

    /// The ids of the keys, the signing key's first (safe to log).
    pub fn kids(&self) -> Vec<&str> {
        self.keys.iter().map(|(kid, _)| kid.as_str()).collect()
    }

    fn signer(&self) -> &(String, TokenKey) {
        &self.keys[0]
    }

    /// The key that signs (for MACs other than tokens).
    pub(crate) fn signing_key(&self) -> &TokenKey {
        &self.signer().1
    }

    /// A token for `claims`, valid for the configured lifetime from now.
    pub fn sign(&self, claims: &Claims) -> String {
        self.sign_at(claims, now_secs())
    }

    fn sign_at(&self, claims: &Claims, now: u64) -> String {
        let signed = Signed { claims: claims.clone(), exp: now.saturating_add(self.ttl.as_secs()) };
        self.seal("v2", &serde_json::to_vec(&signed).expect("claims serialize"))
    }

    /// `<tag>.<kid>.<payload>.<mac>` for `json` signed with the first key.
    /// The tag is signed too, so a token of one kind never passes as
    /// another.
    pub(crate) fn seal(&self, tag: &str, json: &[u8]) -> String {
        let (kid, key) = self.signer();
        let head = format!("{tag}.{kid}.{}", URL_SAFE_NO_PAD.encode(json));
        let mut mac = key.mac();
        mac.update(head.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{head}.{sig}")
    }

    /// The JSON payload of a [`Self::seal`]ed token with this `tag`, if one
    /// of the keys signed it (expiry is the caller's to check).
    pub(crate) fn open(&self, tag: &str, token: &str) -> Result<Vec<u8>, TokenError> {
        // base64url and hex have no dots, so the dots delimit the parts.
        let parts: Vec<&str> = token.split('.').collect();
        let [token_tag, kid, payload, sig] = parts.as_slice() else {
            return Err(TokenError::Invalid);
        };
        if *token_tag != tag {
            return Err(TokenError::Invalid);
        }
        let (_, key) = self.keys.iter().find(|(k, _)| k == kid).ok_or(TokenError::UnknownKey)?;
        let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| TokenError::Invalid)?;
        let mut mac = key.mac();
        mac.update(format!("{tag}.{kid}.{payload}").as_bytes());
        mac.verify_slice(&sig).map_err(|_| TokenError::Invalid)?;
        URL_SAFE_NO_PAD.decode(payload).map_err(|_| TokenError::Invalid)
    }

    /// The claims of a token one of the keys signed and that has not
    /// expired (never panics on input).
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        self.verify_at(token, now_secs())
    }

    /// [`Self::verify`] for a socket: `token` may be missing, and must be
    /// for `room` when the URL names one.
    pub fn verify_for(&self, token: Option<&str>, room: Option<&str>) -> Result<Claims, TokenError> {
        let claims = self.verify(token.ok_or(TokenError::Invalid)?)?;
        if room.is_some_and(|room| room != claims.room) {
            return Err(TokenError::OtherRoom);
        }
        Ok(claims)
    }

    fn verify_at(&self, token: &str, now: u64) -> Result<Claims, TokenError> {
        if let ["v1", payload, sig] = token.split('.').collect::<Vec<_>>().as_slice() {
            return self.verify_v1(payload, sig);
        }
        let json = self.open("v2", token)?;
        let signed: Signed = serde_json::from_slice(&json).map_err(|_| TokenError::Invalid)?;
        if now >= signed.exp {
            return Err(TokenError::Expired);
        }
        Ok(signed.claims)
    }

    /// A token from before expiry: it names no key, so every key is tried.
    fn verify_v1(&self, payload: &str, sig: &str) -> Result<Claims, TokenError> {
        let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| TokenError::Invalid)?;
        let signed_by_us = self.keys.iter().any(|(_, key)| {
            let mut mac = key.mac();
            mac.update(payload.as_bytes());
            mac.verify_slice(&sig).is_ok()
        });
        if !signed_by_us {
            return Err(TokenError::Invalid);
        }
        if !self.accept_unexpiring {
            return Err(TokenError::Unexpiring);
        }
        let json = URL_SAFE_NO_PAD.decode(payload).map_err(|_| TokenError::Invalid)?;
        serde_json::from_slice(&json).map_err(|_| TokenError::Invalid)
    }

    /// See [`TokenKey::node_proof`]: nodes that share their first key
    /// compute the same proof.
    pub fn node_proof(&self) -> String {
        self.signer().1.node_proof()
    }

    /// A proof made with any of the keys, so nodes part way through a key
    /// rotation still believe each other.
    pub fn is_node_proof(&self, proof: &str) -> bool {
        self.keys.iter().any(|(_, key)| key.is_node_proof(proof))
    }
}

pub(crate) fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use jigsync_schema::Role;

    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);
    const NOW: u64 = 1_800_000_000;

    fn claims() -> Claims {
        Claims { room: "r1".into(), user: "u1".into(), role: Role::Student }
    }

    fn key(byte: &str) -> TokenKey {
        TokenKey::from_hex(&byte.repeat(32), "test").unwrap()
    }

    fn ring(keys: &[&str]) -> Keyring {
        Keyring::new(keys.iter().map(|b| key(b)).collect(), HOUR, false).unwrap()
    }

    /// A v1 token as servers before expiry signed them.
    fn v1_token(key: &TokenKey, claims: &Claims) -> String {
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
        let mut mac = key.mac();
        mac.update(payload.as_bytes());
        format!("v1.{payload}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn tokens_name_their_key_and_verify_until_they_expire() {
        let ring = ring(&["ab"]);
        let token = ring.sign_at(&claims(), NOW);
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 4);
        assert_eq!((parts[0], parts[1]), ("v2", key("ab").kid().as_str()));
        let payload: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
        assert_eq!(payload["exp"], NOW + 3600);
        assert_eq!(ring.verify_at(&token, NOW), Ok(claims()));
        assert_eq!(ring.verify_at(&token, NOW + 3599), Ok(claims()));
        assert_eq!(ring.verify_at(&token, NOW + 3600), Err(TokenError::Expired));
        let fresh = ring.sign(&claims());
        assert_eq!(ring.verify_for(Some(&fresh), Some("r1")), Ok(claims()));
        assert_eq!(ring.verify_for(Some(&fresh), None), Ok(claims()));
        assert_eq!(ring.verify_for(Some(&fresh), Some("r2")), Err(TokenError::OtherRoom));
        assert_eq!(ring.verify_for(None, None), Err(TokenError::Invalid));
    }

    #[test]
    fn every_listed_key_verifies_and_only_the_first_signs() {
        let old = ring(&["ab"]).sign_at(&claims(), NOW);
        let rotated = ring(&["cd", "ab"]);
        assert_eq!(rotated.verify_at(&old, NOW), Ok(claims()));
        let new = rotated.sign_at(&claims(), NOW);
        assert!(new.starts_with(&format!("v2.{}.", key("cd").kid())));
        assert_eq!(ring(&["cd"]).verify_at(&old, NOW), Err(TokenError::UnknownKey));
        assert_eq!(ring(&["cd"]).verify_at(&new, NOW), Ok(claims()));
        assert_eq!(ring(&["ab", "ab"]).kids().len(), 1);
        assert!(Keyring::new(Vec::new(), HOUR, false).is_none());
    }

    #[test]
    fn tampered_or_foreign_tokens_are_refused() {
        let ring = ring(&["ab"]);
        let token = ring.sign_at(&claims(), NOW);
        let parts: Vec<&str> = token.split('.').collect();
        // A teacher's claims or a later expiry under the student's signature.
        let teacher = Signed { claims: Claims { role: Role::Teacher, ..claims() }, exp: NOW + 3600 };
        let forged = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&teacher).unwrap());
        assert_eq!(ring.verify_at(&format!("v2.{}.{forged}.{}", parts[1], parts[3]), NOW), Err(TokenError::Invalid));
        let later = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&Signed { claims: claims(), exp: u64::MAX }).unwrap());
        assert_eq!(ring.verify_at(&format!("v2.{}.{later}.{}", parts[1], parts[3]), NOW), Err(TokenError::Invalid));
        // Another key claiming this key's id.
        let impostor = Keyring { keys: vec![(key("ab").kid(), key("cd"))], ttl: HOUR, accept_unexpiring: false };
        assert_eq!(ring.verify_at(&impostor.sign_at(&claims(), NOW), NOW), Err(TokenError::Invalid));
        for junk in ["", "v1.", "v1..", "v2.", "v2...", "v2.a.b", "v3.a.b.c", "v1.!!.??", "v2.!!.??.**", "v1.e30."] {
            assert!(ring.verify_at(junk, NOW).is_err(), "{junk}");
        }
        let kid = &parts[1];
        for junk in [format!("v2.{kid}.."), format!("v2.{kid}.e30.AA"), format!("v2.{kid}.{}", parts[2])] {
            assert_eq!(ring.verify_at(&junk, NOW), Err(TokenError::Invalid), "{junk}");
        }
    }

    #[test]
    fn unexpiring_v1_tokens_are_accepted_only_when_asked() {
        let v1 = v1_token(&key("ab"), &claims());
        assert_eq!(ring(&["ab"]).verify_at(&v1, NOW), Err(TokenError::Unexpiring));
        let lenient = Keyring::new(vec![key("cd"), key("ab")], HOUR, true).unwrap();
        assert_eq!(lenient.verify_at(&v1, NOW), Ok(claims()));
        let foreign = Keyring::new(vec![key("cd")], HOUR, true).unwrap();
        assert_eq!(foreign.verify_at(&v1, NOW), Err(TokenError::Invalid));
    }

    #[test]
    fn node_proofs_of_any_listed_key_are_believed() {
        let (a, ba) = (ring(&["ab"]), ring(&["cd", "ab"]));
        assert!(ba.is_node_proof(&a.node_proof()));
        assert!(ba.is_node_proof(&ba.node_proof()));
        assert!(!a.is_node_proof(&ba.node_proof()));
    }
}
