//! Prometheus metrics. The recorder is process-global; `/metrics` renders it.
//!
//! - `jigsync_connections{channel}`: open WebSockets (room, lobby, yjs).
//! - `jigsync_rooms_live`: running room actors.
//! - `jigsync_messages_total{direction,type}`: frames in and out by tag.
//! - `jigsync_rejected_total{code}`: requests answered with an error.
//! - `jigsync_queue_overflow_total`: connections closed as slow consumers.
//! - `jigsync_room_queue_full_total`: requests that found their room actor's
//!   queue full and waited for room in it (the client's reads wait too).
//! - `jigsync_storage_seconds{op}`: storage latency histogram.
//! - `jigsync_motion_{relayed,sent,dropped}_total`: drag positions put into
//!   receivers' buffers, written after coalescing, dropped over budget.
//! - `jigsync_write_timeouts_total`: sockets given up because a write missed
//!   its deadline.
//! - `jigsync_yrs_panics_total{op}`: panics caught inside yrs (the board was
//!   rebuilt from storage); `jigsync_room_actor_failures_total`: room actors
//!   that ended unexpectedly (their connections closed with 1011).
//! - `jigsync_http_requests_total{method,route,status}` and
//!   `jigsync_http_request_duration_seconds{method,route}`: HTTP requests by
//!   route template (`http/request_metrics.rs`).
//! - `jigsync_rooms_deleted_total{reason}`: classes deleted (`request`: by
//!   their owner or the operator; `retention`: past `--retention-days`).
//! - `jigsync_rooms_closed_idle_total`: classes closed because nobody was
//!   connected for `--close-idle-hours`.
//! - `jigsync_build_info{version}`: always 1.
//! - `process_cpu_seconds_total`, `process_resident_memory_bytes`,
//!   `process_open_fds` and the rest of the standard process metrics
//!   (`metrics-process`), read when `/metrics` is rendered.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
static PROCESS: OnceLock<metrics_process::Collector> = OnceLock::new();

pub const HTTP_REQUESTS: &str = "jigsync_http_requests_total";
pub const HTTP_REQUEST_SECONDS: &str = "jigsync_http_request_duration_seconds";

const STORAGE_BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];
const HTTP_BUCKETS: &[f64] = &[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Installs the global recorder (once per process) and returns its handle.
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full("jigsync_storage_seconds".into()), STORAGE_BUCKETS)
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full(HTTP_REQUEST_SECONDS.into()), HTTP_BUCKETS))
                .expect("bucket lists are not empty");
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics will be empty");
            }
            describe();
            handle
        })
        .clone()
}

/// The Prometheus text of every metric, the process's read just now.
pub fn render(handle: &PrometheusHandle) -> String {
    process().collect();
    handle.render()
}

fn process() -> &'static metrics_process::Collector {
    PROCESS.get_or_init(metrics_process::Collector::default)
}

fn describe() {
    metrics::describe_gauge!("jigsync_connections", "Open WebSocket connections by channel");
    metrics::describe_gauge!("jigsync_rooms_live", "Running room actors");
    metrics::describe_counter!("jigsync_rooms_deleted_total", "Classes deleted, with everything of them");
    metrics::describe_counter!("jigsync_rooms_closed_idle_total", "Classes closed because nobody used them");
    metrics::describe_counter!("jigsync_messages_total", "Frames by direction and message type");
    metrics::describe_counter!("jigsync_rejected_total", "Requests answered with an error, by code");
    metrics::describe_counter!("jigsync_queue_overflow_total", "Connections closed because their queue overflowed");
    metrics::describe_counter!(
        "jigsync_room_queue_full_total",
        "Requests that waited for room in their room actor's full queue"
    );
    metrics::describe_histogram!("jigsync_storage_seconds", metrics::Unit::Seconds, "Storage operation latency");
    metrics::describe_counter!(HTTP_REQUESTS, "HTTP requests by method, route template and status");
    metrics::describe_histogram!(
        HTTP_REQUEST_SECONDS,
        metrics::Unit::Seconds,
        "HTTP request durations by method and route template (a WebSocket's: its upgrade)"
    );
    metrics::describe_gauge!("jigsync_build_info", "Always 1; the labels say which build runs");
    metrics::gauge!("jigsync_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    process().describe();
    // Present from the start, so dashboards and tests see them before the
    // first event.
    metrics::counter!("jigsync_queue_overflow_total").increment(0);
    metrics::counter!("jigsync_room_queue_full_total").increment(0);
    metrics::gauge!("jigsync_rooms_live").set(0.0);
    metrics::gauge!("jigsync_connections", "channel" => "room").set(0.0);
    metrics::gauge!("jigsync_connections", "channel" => "lobby").set(0.0);
    metrics::gauge!("jigsync_connections", "channel" => "yjs").set(0.0);
    metrics::describe_counter!("jigsync_motion_relayed_total", "Drag positions put into receivers' motion buffers");
    metrics::describe_counter!("jigsync_motion_sent_total", "Drag positions written to sockets after coalescing");
    metrics::describe_counter!("jigsync_motion_dropped_total", "Drag positions dropped over a connection's budget");
    metrics::describe_counter!("jigsync_write_timeouts_total", "Sockets given up because a write missed its deadline");
    metrics::describe_counter!("jigsync_yrs_panics_total", "Panics caught inside yrs, by operation");
    metrics::describe_counter!("jigsync_room_actor_failures_total", "Room actors that ended unexpectedly");
    for name in [
        "jigsync_motion_relayed_total",
        "jigsync_motion_sent_total",
        "jigsync_motion_dropped_total",
        "jigsync_write_timeouts_total",
        "jigsync_room_actor_failures_total",
    ] {
        metrics::counter!(name).increment(0);
    }
}
