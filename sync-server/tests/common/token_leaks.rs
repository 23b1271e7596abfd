//! No token ever reaches a server's log. Every token the harness sees (in
//! an HTTP answer, or given to a request or a socket) is remembered for the
//! whole test binary, and every server the harness started checks its log
//! against all of them when it is dropped: a token that one node handed out
//! must not show up in another node's log either.

use std::sync::Mutex;

use serde_json::Value;

static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Shorter strings are test junk ("nonsense"), not tokens, and could occur
/// in a log line by chance.
const MIN_LEN: usize = 24;

pub fn remember(token: &str) {
    if token.len() >= MIN_LEN {
        let mut seen = SEEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if !seen.iter().any(|t| t == token) {
            seen.push(token.to_owned());
        }
    }
}

/// Remembers the tokens an API answer hands out (upload grants too: they
/// open a room's pictures).
pub fn remember_in(body: &Value) {
    for field in ["token", "teacherToken", "teacherPass", "grant"] {
        if let Some(token) = body[field].as_str() {
            remember(token);
        }
    }
}

/// Panics naming the first log line that holds a remembered token, or the
/// signature part of one (the part that makes it a credential).
pub fn assert_not_logged(logs: &[String]) {
    let seen = SEEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
    for token in &seen {
        let secret = token.rsplit('.').next().filter(|sig| sig.len() >= MIN_LEN).unwrap_or(token);
        if let Some(line) = logs.iter().find(|line| line.contains(token.as_str()) || line.contains(secret)) {
            panic!("a token was logged: {line}");
        }
    }
}
