//! Where a server under test is reached. `--addr` is either `host:port` (a
//! server on plain HTTP at the root) or a URL with a scheme and a path
//! prefix, such as `http://school.example/jigsync`, for a server the
//! benchmark did not start, behind a reverse proxy that mounts it under a
//! prefix. HTTP requests and WebSockets are built from the same base.

/// Each HTTP scheme and its WebSocket counterpart.
const SCHEMES: [(&str, &str); 2] = [("http", "ws"), ("https", "wss")];

/// The HTTP base (`http://host:port/prefix`, no trailing slash) of `addr`.
pub fn http_base(addr: &str) -> String {
    let (scheme, rest) = split(addr);
    let scheme = SCHEMES.iter().find(|(_, ws)| *ws == scheme).map_or(scheme, |(http, _)| http);
    format!("{scheme}://{rest}")
}

/// The WebSocket base (`ws://host:port/prefix`, no trailing slash) of `addr`.
pub fn ws_base(addr: &str) -> String {
    let (scheme, rest) = split(addr);
    let scheme = SCHEMES.iter().find(|(http, _)| *http == scheme).map_or(scheme, |(_, ws)| ws);
    format!("{scheme}://{rest}")
}

/// The scheme (`http` when none is given) and the rest, without a trailing slash.
fn split(addr: &str) -> (&str, &str) {
    let (scheme, rest) = addr.split_once("://").unwrap_or(("http", addr));
    (scheme, rest.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_address_is_plain_http_at_the_root() {
        assert_eq!(http_base("127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(ws_base("127.0.0.1:8080"), "ws://127.0.0.1:8080");
    }

    #[test]
    fn a_url_keeps_its_prefix_and_maps_its_scheme() {
        assert_eq!(http_base("https://school.example/jigsync/"), "https://school.example/jigsync");
        assert_eq!(ws_base("https://school.example/jigsync/"), "wss://school.example/jigsync");
        assert_eq!(http_base("ws://10.0.0.2:80/a/b"), "http://10.0.0.2:80/a/b");
        assert_eq!(ws_base("http://10.0.0.2:80/a"), "ws://10.0.0.2:80/a");
    }
}
