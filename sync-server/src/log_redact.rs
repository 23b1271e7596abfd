//! What may be logged of a URL or of request headers: the same with every
//! secret replaced by `REDACTED`. WebSocket clients carry their token in the
//! URL (`/ws?token=…`: a browser cannot set a header on an upgrade), and
//! picture URLs their room's upload grant (`/uploads/…?grant=…`), so any URL
//! a log line prints goes through [`url`] first, and any header map through
//! [`headers`]. A leaked token is a whole member's identity until it
//! expires, a leaked grant a class's pictures for the hour, and logs are
//! read by more people than the room.

use std::borrow::Cow;
use std::fmt;

use axum::http::HeaderMap;

/// What a secret is replaced with.
pub const REDACTED: &str = "REDACTED";

/// Query parameters that carry a secret: room tokens and upload grants.
const SECRET_PARAMS: &[&str] = &["token", "grant"];

/// Headers that carry a secret: the client's credentials, and the proof a
/// relaying node derives from the cluster's signing key.
const SECRET_HEADERS: &[&str] =
    &["authorization", "proxy-authorization", "cookie", "set-cookie", crate::cluster::headers::NODE_PROOF];

/// `raw` (a URL, or a path with its query) with the value of every secret
/// query parameter replaced; borrowed when there is nothing to replace.
pub fn url(raw: &str) -> Cow<'_, str> {
    let Some(query_start) = raw.find('?') else {
        return Cow::Borrowed(raw);
    };
    let (head, rest) = raw.split_at(query_start + 1);
    // A fragment is never sent, but a URL given to us may still have one.
    let (query, fragment) = rest.find('#').map_or((rest, ""), |i| rest.split_at(i));
    if !query.split('&').any(is_secret_pair) {
        return Cow::Borrowed(raw);
    }
    let redacted: Vec<Cow<'_, str>> = query
        .split('&')
        .map(|pair| {
            if is_secret_pair(pair) {
                let name = pair.split('=').next().unwrap_or_default();
                Cow::Owned(format!("{name}={REDACTED}"))
            } else {
                Cow::Borrowed(pair)
            }
        })
        .collect();
    Cow::Owned(format!("{head}{}{fragment}", redacted.join("&")))
}

fn is_secret_pair(pair: &str) -> bool {
    let name = pair.split('=').next().unwrap_or_default();
    SECRET_PARAMS.iter().any(|secret| name.eq_ignore_ascii_case(secret))
}

/// A URL to log: `tracing::warn!(url = %Url(&raw), …)`.
pub struct Url<'a>(pub &'a str);

impl fmt::Display for Url<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&url(self.0))
    }
}

/// A header map to log (`?headers(…)`): names and values, secrets replaced.
pub fn headers(map: &HeaderMap) -> Vec<(&str, Cow<'_, str>)> {
    map.iter()
        .map(|(name, value)| {
            let name = name.as_str();
            let value = if SECRET_HEADERS.iter().any(|secret| name.eq_ignore_ascii_case(secret)) {
                Cow::Borrowed(REDACTED)
            } else {
                String::from_utf8_lossy(value.as_bytes())
            };
            (name, value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn the_token_parameter_is_redacted_wherever_it_stands() {
        assert_eq!(url("/ws?token=abc.def"), "/ws?token=REDACTED");
        assert_eq!(url("/ws/r1?since=4&token=abc&x=1"), "/ws/r1?since=4&token=REDACTED&x=1");
        assert_eq!(url("ws://10.0.0.5:8080/yjs/r/1?token=abc"), "ws://10.0.0.5:8080/yjs/r/1?token=REDACTED");
        assert_eq!(url("/ws?TOKEN=abc&token=def"), "/ws?TOKEN=REDACTED&token=REDACTED");
        assert_eq!(url("/ws?token"), "/ws?token=REDACTED");
        assert_eq!(url("/ws?token=abc#frag"), "/ws?token=REDACTED#frag");
        assert_eq!(url("/uploads/ab.png?grant=g1.k.p.m"), "/uploads/ab.png?grant=REDACTED");
    }

    #[test]
    fn urls_without_a_secret_are_left_alone() {
        for raw in ["/healthz", "/api/rooms/r1/messages?before=9&limit=5", "/ws?tokens=1&x_token=2", "/ws?"] {
            assert!(matches!(url(raw), Cow::Borrowed(_)), "{raw}");
            assert_eq!(url(raw), raw);
        }
    }

    #[test]
    fn url_displays_redacted() {
        assert_eq!(Url("/ws?token=secret").to_string(), "/ws?token=REDACTED");
    }

    #[test]
    fn credentials_in_headers_are_redacted_and_the_rest_kept() {
        let mut map = HeaderMap::new();
        map.insert("authorization", HeaderValue::from_static("Bearer secret"));
        map.insert("cookie", HeaderValue::from_static("s=secret"));
        map.insert(crate::cluster::headers::NODE_PROOF, HeaderValue::from_static("secret"));
        map.insert("user-agent", HeaderValue::from_static("test"));
        let logged = format!("{:?}", headers(&map));
        assert!(!logged.contains("secret"), "{logged}");
        assert!(logged.contains("\"authorization\", \"REDACTED\""), "{logged}");
        assert!(logged.contains("\"user-agent\", \"test\""), "{logged}");
    }
}
