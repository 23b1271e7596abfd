//! Start-up and shutdown: open storage, bind, serve, and on SIGTERM/SIGINT
//! stop accepting, close every WebSocket with 1001, and close storage.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt;
use jigsync_schema::RoomSummary;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::app::App;
use crate::auth::{KeyError, TokenKey};
use crate::cluster::{Cluster, ClusterSettings};
use crate::config::Config;
use crate::keyring::Keyring;
use crate::lobby::Lobby;
use crate::operator::OperatorToken;
use crate::rate_limit::Limits;
use crate::room::env::RoomEnv;
use crate::room::RoomRegistry;
use crate::signup::{Signup, SignupConfigError};
use crate::storage::postgres::PostgresStorage;
use crate::storage::sqlite::SqliteStorage;
use crate::storage::{Storage, StorageError};
use crate::uploads::BlobStore;

/// How long shutdown waits for sockets to finish their close handshake.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// How often idle rate-limit keys are forgotten.
const LIMITER_SWEEP: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("data dir {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Signup(#[from] SignupConfigError),
    #[error("cannot join the cluster: {0}")]
    Cluster(#[from] crate::cluster::JoinError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("server: {0}")]
    Serve(std::io::Error),
    #[error(transparent)]
    OperatorToken(#[from] crate::operator::OperatorTokenError),
}

/// The keys of `JIGSYNC_SIGNING_KEY` and `--signing-key-file`, in that
/// order; without any, the data dir's own key.
pub fn keyring(config: &Config) -> Result<Keyring, KeyError> {
    let mut keys = Vec::new();
    if let Some(hex_key) = &config.signing_key {
        keys.push(TokenKey::from_hex(hex_key, "JIGSYNC_SIGNING_KEY")?);
    }
    for path in &config.signing_key_file {
        keys.push(TokenKey::from_file(path)?);
    }
    if keys.is_empty() {
        keys.push(TokenKey::load_or_create(&config.data_dir)?);
    }
    let ring = Keyring::new(keys, config.token_ttl(), config.accept_unexpiring_tokens)
        .expect("at least one key was just added");
    tracing::info!(kids = ?ring.kids(), ttl_secs = config.token_ttl().as_secs(), "token signing keys");
    Ok(ring)
}

pub async fn serve(config: Config) -> Result<(), StartError> {
    let data_dir = config.data_dir.clone();
    let dir_error = |source| StartError::DataDir { path: data_dir.display().to_string(), source };
    std::fs::create_dir_all(&data_dir).map_err(dir_error)?;
    let keys = Arc::new(keyring(&config)?);
    let operator = config.operator_token_file.as_deref().map(OperatorToken::from_file).transpose()?;
    let signup =
        Signup::new(config.teacher_signup, config.teacher_signup_secret_file.as_deref(), config.teacher_pass_ttl())?;
    let listener = bind(config.addr).await?;
    let local = listener.local_addr().map_err(StartError::Serve)?;
    let metrics_listener = match config.metrics_addr {
        Some(addr) => Some(bind(addr).await?),
        None => None,
    };
    let storage: Arc<dyn Storage> = match &config.database_url {
        Some(url) => Arc::new(PostgresStorage::connect(url).await?),
        None => Arc::new(SqliteStorage::open(&data_dir.join("jigsync.db")).await?),
    };
    let blobs: BlobStore = storage.blob_store(data_dir.join("uploads")).map_err(dir_error)?;
    let open_rooms = storage.open_rooms().await?;
    let open_rooms = open_rooms.into_iter().map(|(room, participants)| RoomSummary {
        id: room.id,
        name: room.name,
        participants,
        online: 0,
    });
    let teachers = storage.open_room_teachers().await?;
    let lobby = Arc::new(match config.database_url {
        Some(_) => Lobby::shared(open_rooms, teachers),
        None => Lobby::new(open_rooms, teachers),
    });
    let shutdown = CancellationToken::new();
    let cluster = match &config.database_url {
        Some(url) => {
            let settings = ClusterSettings {
                node_id: config.node_id.clone().unwrap_or_else(crate::ids::node_id),
                advertise_url: config.advertise_url.clone().unwrap_or_else(|| format!("http://{local}")),
                lease_ttl: Duration::from_millis(config.lease_ttl_ms),
                lease_renew: Duration::from_millis(config.lease_renew_ms),
            };
            if config.signing_key.is_none() && config.signing_key_file.is_empty() {
                tracing::warn!(
                    "no --signing-key-file: this node signs with its own key, so other nodes will refuse its tokens"
                );
            }
            let cluster = Cluster::join(url, settings).await?;
            tracing::info!(node = cluster.node_id(), url = %cluster.settings.advertise_url, "joined the cluster");
            Some(cluster)
        }
        None => None,
    };
    let tasks = TaskTracker::new();
    if let Some(cluster) = &cluster {
        cluster.heartbeat(&tasks, shutdown.clone());
        crate::cluster::lobby_sync::spawn(cluster.clone(), lobby.clone(), &tasks, shutdown.clone());
    }
    let room_env = Arc::new(RoomEnv {
        storage: storage.clone(),
        lobby: lobby.clone(),
        idle: config.room_idle(),
        tasks,
        shutdown: shutdown.clone(),
        cluster: cluster.clone(),
        keys: keys.clone(),
    });

    let app = Arc::new(App {
        limits: Limits::new(&config),
        config,
        storage,
        keys,
        signup,
        rooms: RoomRegistry::new(room_env.clone()),
        lobby,
        blobs,
        metrics: crate::metrics::install(),
        draining: CancellationToken::new(),
        shutdown,
        sessions: TaskTracker::new(),
        cluster,
        operator,
    });
    tokio::spawn(watch_signals(app.draining.clone(), app.shutdown.clone(), app.config.shutdown_delay()));
    tokio::spawn(sweep_limiters(app.clone()));
    crate::retention::spawn(app.clone());
    crate::idle_close::spawn(app.clone());
    tracing::info!(addr = %local, data_dir = %data_dir.display(), "listening");
    if let Some(listener) = metrics_listener {
        serve_metrics(listener, app.clone())?;
    }
    let web_index = app.config.web_dir.join("index.html");
    if !web_index.is_file() {
        // The API still works; only the pages are missing, which `/` would show as a bare 404.
        tracing::warn!(web_dir = %app.config.web_dir.display(), "no index.html in the web directory: build the classroom app with `make web`");
    }

    let listener = listener.tap_io(|tcp| {
        // Small frames must not wait for Nagle; batching happens in the writer.
        let _ = tcp.set_nodelay(true);
    });
    let router = crate::http::router(app.clone());
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(app.shutdown.clone().cancelled_owned())
        .await
        .map_err(StartError::Serve)?;

    app.sessions.close();
    if tokio::time::timeout(DRAIN_TIMEOUT, app.sessions.wait()).await.is_err() {
        tracing::warn!("some connections did not close in time");
    }
    // Room actors stop after the command at hand; compactions finish. Only
    // then may storage close.
    room_env.tasks.close();
    if tokio::time::timeout(DRAIN_TIMEOUT, room_env.tasks.wait()).await.is_err() {
        tracing::warn!("some room tasks did not finish in time");
    }
    app.storage.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr).await.map_err(|source| StartError::Bind { addr, source })
}

/// Serves `/metrics` on its own listener (`--metrics-addr`) until shutdown.
fn serve_metrics(listener: TcpListener, app: Arc<App>) -> Result<(), StartError> {
    let addr = listener.local_addr().map_err(StartError::Serve)?;
    tracing::info!(addr = %addr, "serving /metrics");
    let shutdown = app.shutdown.clone();
    let router = crate::http::metrics_router(app);
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, router).with_graceful_shutdown(shutdown.cancelled_owned()).await {
            tracing::error!(error = %err, "the metrics listener failed");
        }
    });
    Ok(())
}

/// On the first SIGTERM/SIGINT, `draining` (readiness fails); `delay` later,
/// or at a second signal, `shutdown` (connections close).
async fn watch_signals(draining: CancellationToken, shutdown: CancellationToken, delay: Duration) {
    next_signal().await;
    draining.cancel();
    if !delay.is_zero() {
        tracing::info!(delay = ?delay, "draining: not ready, closing after the delay");
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = next_signal() => {}
        }
    }
    tracing::info!("shutting down");
    shutdown.cancel();
}

async fn next_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot watch SIGTERM");
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

async fn sweep_limiters(app: Arc<App>) {
    let mut every = tokio::time::interval(LIMITER_SWEEP);
    loop {
        tokio::select! {
            () = app.shutdown.cancelled() => return,
            _ = every.tick() => app.limits.shrink(),
        }
    }
}
