//! The headers one node adds when it forwards a request to another: a proof
//! that the request comes from a node of the cluster, and the client's
//! address. The owner believes the address only with a valid proof, so a
//! client cannot choose its own rate-limit bucket by sending the header
//! itself; and a forwarded request is never forwarded again (ownership moved
//! in between: the client retries through the load balancer instead).

use std::net::IpAddr;

use axum::http::{HeaderMap, HeaderValue};

use crate::keyring::Keyring;

pub const NODE_PROOF: &str = "x-jigsync-node-proof";
pub const CLIENT_IP: &str = "x-jigsync-client-ip";
/// On an owner's refusal of a forwarded upgrade: it gave the room up
/// (nobody was connected to it there), so the forwarding node may take the
/// room and serve the connection itself. Read only on answers from a node.
pub const ROOM_MOVED: &str = "x-jigsync-room-moved";

/// Adds the forwarding headers to a request bound for another node.
pub fn mark(headers: &mut HeaderMap, keys: &Keyring, client: IpAddr) {
    headers.remove(NODE_PROOF);
    headers.remove(CLIENT_IP);
    if let Ok(proof) = HeaderValue::from_str(&keys.node_proof()) {
        headers.insert(NODE_PROOF, proof);
    }
    if let Ok(ip) = HeaderValue::from_str(&client.to_string()) {
        headers.insert(CLIENT_IP, ip);
    }
}

/// True if another node of the cluster forwarded this request.
pub fn is_forwarded(headers: &HeaderMap, keys: &Keyring) -> bool {
    headers.get(NODE_PROOF).and_then(|v| v.to_str().ok()).is_some_and(|proof| keys.is_node_proof(proof))
}

/// The client's address a forwarding node vouched for.
pub fn forwarded_client(headers: &HeaderMap, keys: &Keyring) -> Option<IpAddr> {
    if !is_forwarded(headers, keys) {
        return None;
    }
    headers.get(CLIENT_IP)?.to_str().ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: &str) -> Keyring {
        let key = crate::auth::TokenKey::from_hex(&byte.repeat(32), "test").unwrap();
        Keyring::new(vec![key], std::time::Duration::from_secs(3600), false).unwrap()
    }

    #[test]
    fn only_a_node_with_the_key_can_vouch_for_a_client_address() {
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let mut headers = HeaderMap::new();
        mark(&mut headers, &key("ab"), ip);
        assert_eq!(forwarded_client(&headers, &key("ab")), Some(ip));
        assert_eq!(forwarded_client(&headers, &key("cd")), None);

        let mut forged = HeaderMap::new();
        forged.insert(CLIENT_IP, HeaderValue::from_static("198.51.100.1"));
        forged.insert(NODE_PROOF, HeaderValue::from_static("00"));
        assert_eq!(forwarded_client(&forged, &key("ab")), None);
        assert!(!is_forwarded(&forged, &key("ab")));
    }
}
