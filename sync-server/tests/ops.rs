//! What an operator relies on: log lines (JSON, and never a token in them),
//! readiness (`/readyz`), the metrics `/metrics` adds for the process and
//! HTTP, and `--metrics-addr` serving them apart from the public address.

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use serde_json::Value;

/// Requests that put tokens where a log could catch them: in WebSocket
/// URLs (`?token=`) and in `Authorization` headers. Returns the tokens.
async fn requests_with_tokens(server: &TestServer) -> Vec<String> {
    let room = server.create_room("Logs", "T").await;
    let ann = server.join(&room, "Ann").await;
    let (client, _) = server.connect(&ann.token).await;
    client.close().await;
    let mut lobby = server.lobby(&room.teacher.token).await;
    let _ = lobby.recv_lobby().await;
    server.history(&room, &ann.token, "?limit=5").await;
    let (status, _) = server.get("/ws?token=not-a-real-token-but-still-secret", None).await;
    assert_ne!(status, StatusCode::OK);
    vec![room.teacher.token, ann.token, "not-a-real-token-but-still-secret".to_owned()]
}

/// The log lines once the request spans of `requests_with_tokens` closed.
async fn logs_after_requests(server: &TestServer) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let logs = server.logs();
        if logs.iter().filter(|line| line.contains("/api/rooms/{room_id}/messages")).count() >= 2 {
            return logs;
        }
        assert!(tokio::time::Instant::now() < deadline, "the history request was not logged:\n{}", logs.join("\n"));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn assert_no_token(logs: &[String], tokens: &[String]) {
    for line in logs {
        for token in tokens {
            assert!(!line.contains(token.as_str()), "a token was logged: {line}");
        }
    }
    // The check means something only if the WebSocket URLs were logged.
    assert!(logs.iter().any(|line| line.contains("token=REDACTED")), "no request URL was logged");
}

#[tokio::test]
async fn json_log_lines_parse_and_carry_ids_as_fields_and_no_token() {
    let server = TestServer::start_with_env(&["--log-format", "json"], &[("JIGSYNC_LOG", "debug")]).await;
    let tokens = requests_with_tokens(&server).await;
    let logs = logs_after_requests(&server).await;
    let events: Vec<Value> = logs
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("not JSON ({err}): {line}")))
        .collect();
    for event in &events {
        assert!(event["level"].is_string() && event["target"].is_string(), "{event}");
    }
    let created = events.iter().find(|event| event["message"] == "room created").expect("a room created line");
    assert!(created["room"].as_str().is_some_and(|room| !room.is_empty()), "{created}");
    let traced = events
        .iter()
        .find(|event| event["span"]["route"] == "/ws")
        .unwrap_or_else(|| panic!("no request span of /ws:\n{}", logs.join("\n")));
    assert_eq!(traced["span"]["uri"], "/ws?token=REDACTED", "{traced}");
    assert_no_token(&logs, &tokens);
}

#[tokio::test]
async fn text_log_lines_carry_no_token_even_at_trace_level() {
    // At trace level the request headers are logged too (redacted).
    let server =
        TestServer::start_with_env(&[], &[("JIGSYNC_LOG", "info,jigsync_server=trace,tower_http=trace")]).await;
    let tokens = requests_with_tokens(&server).await;
    let logs = logs_after_requests(&server).await;
    assert!(logs.iter().any(|line| line.contains("\"authorization\", \"REDACTED\"")), "headers were not logged");
    assert_no_token(&logs, &tokens);
}

#[tokio::test]
async fn readyz_is_ready_and_answers_503_from_the_first_signal_while_still_serving() {
    let mut server = TestServer::start_with(&["--shutdown-delay-secs", "60"]).await;
    let (status, body) = server.get("/readyz", None).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("ready")));
    let room = server.create_room("Draining", "T").await;
    let (mut client, _) = server.connect(&room.teacher.token).await;

    server.signal("TERM");
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (status, body) = server.get("/readyz", None).await;
        if status == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(body["reason"], "draining", "{body}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "/readyz still {status} after SIGTERM");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Draining: still alive, still serving, connections still open; and a
    // probe's 503 is not an error line.
    let errors: Vec<String> = server.logs().into_iter().filter(|line| line.contains("ERROR")).collect();
    assert!(errors.is_empty(), "error lines while draining:\n{}", errors.join("\n"));
    assert_eq!(server.get("/healthz", None).await.0, StatusCode::OK);
    client.chat(1, "still here").await;
    assert!(matches!(client.answer(1).await, jigsync_schema::ServerMsg::Ack { .. }));

    // A second signal does not wait out the delay.
    server.signal("TERM");
    assert_eq!(client.closed().await.code, 1001);
    assert!(server.wait_exit().success());
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_show_the_process_and_the_build() {
    let server = TestServer::start().await;
    let room = server.create_room("Metrics", "T").await;
    server.history(&room, &room.teacher.token, "").await;
    let (client, _) = server.connect(&room.teacher.token).await;
    client.close().await;
    assert_eq!(server.get("/no/such/file", None).await.0, StatusCode::NOT_FOUND);

    let text = server.metrics().await;
    let version = env!("CARGO_PKG_VERSION");
    let messages = r#"method="GET",route="/api/rooms/{room_id}/messages",status="200""#;
    for series in [
        format!("jigsync_build_info{{version=\"{version}\"}} 1"),
        format!("jigsync_http_requests_total{{{messages}}} 1"),
        r#"jigsync_http_requests_total{method="POST",route="/api/rooms",status="201"} 1"#.to_owned(),
        r#"jigsync_http_requests_total{method="GET",route="/ws",status="101"} 1"#.to_owned(),
        r#"jigsync_http_requests_total{method="GET",route="fallback",status="404"} 1"#.to_owned(),
        r#"jigsync_http_request_duration_seconds_count{method="GET",route="/api/rooms/{room_id}/messages"} 1"#
            .to_owned(),
        r#"jigsync_http_request_duration_seconds_bucket{method="GET",route="/api/rooms/{room_id}/messages",le="10"} 1"#
            .to_owned(),
    ] {
        assert!(text.lines().any(|line| line == series), "no line {series} in:\n{text}");
    }
    for name in ["process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds"] {
        let value = text
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no {name} in:\n{text}"));
        // CPU time is counted in whole seconds, so a young server may show 0.
        assert!(value > 0.0 || name == "process_cpu_seconds_total", "{name} {value}");
    }
    // Labels name routes, never the ids or tokens of a path.
    assert!(!text.contains(&room.id), "a room id in a label:\n{text}");
    assert!(!text.contains(&room.teacher.token), "a token in a label");
}

#[tokio::test]
async fn metrics_addr_serves_metrics_there_and_not_on_the_main_address() {
    let server = TestServer::start_with(&["--metrics-addr", "127.0.0.1:0"]).await;
    let metrics_addr = server.wait_for_log_field("serving /metrics", "addr").await;
    let res = server.http.get(format!("http://{metrics_addr}/metrics")).send().await.expect("metrics");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.expect("text").contains("jigsync_build_info"));
    let elsewhere = server.http.get(format!("http://{metrics_addr}/healthz")).send().await.expect("healthz");
    assert_eq!(elsewhere.status(), StatusCode::NOT_FOUND, "the metrics address serves only /metrics");

    let main = server.http.get(server.url("/metrics")).send().await.expect("main /metrics");
    assert_eq!(main.status(), StatusCode::NOT_FOUND);
    assert_eq!(server.get("/healthz", None).await.0, StatusCode::OK);
    assert_eq!(server.get("/readyz", None).await.0, StatusCode::OK);
}
