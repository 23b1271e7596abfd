//! Which IP a request comes from, for per-IP rate limits. `X-Forwarded-For`
//! is believed only when the socket peer is a configured trusted proxy;
//! otherwise anyone could pick their own rate-limit bucket.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use ipnet::IpNet;

pub fn client_ip(peer: SocketAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let peer_ip = peer.ip().to_canonical();
    if !is_trusted(&peer_ip) {
        return peer_ip;
    }
    // Proxies append, so the rightmost address not belonging to one of our
    // proxies is the first one we cannot vouch for: the client.
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|part| part.trim().parse::<IpAddr>().ok())
        .map(|ip| ip.to_canonical())
        .collect();
    forwarded.iter().rev().find(|ip| !is_trusted(ip)).copied().unwrap_or(peer_ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn ignores_forwarded_for_from_untrusted_peers() {
        let peer: SocketAddr = "203.0.113.9:5000".parse().unwrap();
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        assert_eq!(client_ip(peer, &headers("1.2.3.4"), &trusted), "203.0.113.9".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn takes_the_rightmost_untrusted_address_behind_a_trusted_proxy() {
        let peer: SocketAddr = "10.0.0.2:5000".parse().unwrap();
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let ip = client_ip(peer, &headers("6.6.6.6, 198.51.100.7, 10.0.0.5"), &trusted);
        assert_eq!(ip, "198.51.100.7".parse::<IpAddr>().unwrap());
        assert_eq!(client_ip(peer, &HeaderMap::new(), &trusted), "10.0.0.2".parse::<IpAddr>().unwrap());
        assert_eq!(client_ip(peer, &headers("garbage"), &trusted), "10.0.0.2".parse::<IpAddr>().unwrap());
    }
}
