//! Group commit: every batch a store commits goes through one committer
//! task, which takes the batches that queued up while the previous
//! transaction was in flight and commits them in one transaction. Rooms
//! then share one flush (one fsync) instead of paying one each, and an
//! embedded store never has two writers fighting over its lock.
//!
//! A group is all or nothing in the database, but not for its rooms: if
//! the group's transaction fails, each batch is tried again alone, so a
//! refused batch (a sequence number taken, a fence that no longer holds)
//! fails only itself. Each caller still learns only once its own batch is
//! durable: acknowledged still means committed.

use std::sync::Mutex;
use std::time::Instant;

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::{StorageError, Write};

/// The most batches in one transaction: enough for every room of a busy
/// node, few enough that one transaction stays short.
const MAX_GROUP: usize = 256;

/// A store's way of committing several batches in one transaction.
#[async_trait]
pub trait CommitBatches: Send + Sync + 'static {
    /// Applies every batch, in order, in one transaction: all or none.
    async fn commit_batches(&self, batches: &[Vec<Write>]) -> Result<(), StorageError>;
}

type Done = oneshot::Sender<Result<(), StorageError>>;

enum Job {
    Commit(Vec<Write>, Done),
    /// Commit what came before, then stop.
    Stop,
}

pub struct GroupCommit {
    // Unbounded, yet bounded in practice: a room actor waits for its batch
    // before it stages the next, so there is at most one batch per room
    // (and per in-flight HTTP call) queued.
    queue: mpsc::UnboundedSender<Job>,
    committer: Mutex<Option<JoinHandle<()>>>,
}

impl GroupCommit {
    /// Starts the committer task (on the current Tokio runtime).
    pub fn start(store: impl CommitBatches) -> GroupCommit {
        let (queue, jobs) = mpsc::unbounded_channel();
        let committer = tokio::spawn(run(store, jobs));
        GroupCommit { queue, committer: Mutex::new(Some(committer)) }
    }

    /// Commits `writes` in whichever group comes next; returns once they are
    /// durable, or with the error that refused them.
    pub async fn commit(&self, writes: &[Write]) -> Result<(), StorageError> {
        let (done, result) = oneshot::channel();
        self.queue.send(Job::Commit(writes.to_vec(), done)).map_err(|_| StorageError::Closed)?;
        result.await.map_err(|_| StorageError::Closed)?
    }

    /// Commits what is queued, then stops the committer; later commits fail
    /// with [`StorageError::Closed`].
    pub async fn stop(&self) {
        let _ = self.queue.send(Job::Stop);
        let committer = self.committer.lock().ok().and_then(|mut c| c.take());
        if let Some(committer) = committer {
            if let Err(err) = committer.await {
                tracing::error!(error = %err, "the committer task failed");
            }
        }
    }
}

async fn run(store: impl CommitBatches, mut jobs: mpsc::UnboundedReceiver<Job>) {
    let mut stopping = false;
    while !stopping {
        let Some(first) = jobs.recv().await else { return };
        let (mut batches, mut waiting) = (Vec::new(), Vec::new());
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Commit(writes, done) => {
                    batches.push(writes);
                    waiting.push(done);
                }
                Job::Stop => stopping = true,
            }
            if !stopping && batches.len() < MAX_GROUP {
                next = jobs.try_recv().ok();
            }
        }
        if !batches.is_empty() {
            commit_group(&store, &batches, waiting).await;
        }
    }
    jobs.close();
}

async fn commit_group(store: &impl CommitBatches, batches: &[Vec<Write>], waiting: Vec<Done>) {
    let started = Instant::now();
    metrics::histogram!("jigsync_commit_group_batches").record(batches.len() as f64);
    let together = store.commit_batches(batches).await;
    metrics::histogram!("jigsync_commit_group_seconds").record(started.elapsed().as_secs_f64());
    match together {
        Ok(()) => {
            for done in waiting {
                let _ = done.send(Ok(()));
            }
        }
        Err(err) if batches.len() == 1 => {
            if let Some(done) = waiting.into_iter().next() {
                let _ = done.send(Err(err));
            }
        }
        Err(err) => {
            // Which batch refused is known only by trying each alone.
            tracing::debug!(batches = batches.len(), error = %err, "group commit failed; committing its batches one by one");
            metrics::counter!("jigsync_commit_group_retries_total").increment(1);
            for (batch, done) in batches.iter().zip(waiting) {
                let _ = done.send(store.commit_batches(std::slice::from_ref(batch)).await);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use tokio::sync::Semaphore;

    use super::*;

    /// A store that records each transaction's batches (by room), waits for
    /// a permit before each, and refuses any transaction holding a batch
    /// for the room named "bad".
    #[derive(Clone)]
    struct Recorder {
        transactions: Arc<Mutex<Vec<Vec<String>>>>,
        gate: Arc<Semaphore>,
        entered: Arc<AtomicUsize>,
    }

    impl Default for Recorder {
        fn default() -> Self {
            Recorder { transactions: Arc::default(), gate: Arc::new(Semaphore::new(0)), entered: Arc::default() }
        }
    }

    #[async_trait]
    impl CommitBatches for Recorder {
        async fn commit_batches(&self, batches: &[Vec<Write>]) -> Result<(), StorageError> {
            self.entered.fetch_add(1, Ordering::SeqCst);
            self.gate.acquire().await.map_err(|_| StorageError::Closed)?.forget();
            let rooms: Vec<String> = batches.iter().map(|b| room_of(b)).collect();
            let refused = rooms.iter().any(|r| r == "bad");
            self.transactions.lock().expect("lock").push(rooms);
            if refused {
                Err(StorageError::Corrupt("bad".into()))
            } else {
                Ok(())
            }
        }
    }

    fn room_of(batch: &[Write]) -> String {
        match batch.first() {
            Some(Write::CloseRoom { room, .. }) => room.clone(),
            _ => String::new(),
        }
    }

    fn batch(room: &str) -> Vec<Write> {
        vec![Write::CloseRoom { room: room.into(), at: 1 }]
    }

    #[tokio::test]
    async fn batches_that_queue_behind_a_commit_share_the_next_one() {
        let store = Recorder::default();
        let group = Arc::new(GroupCommit::start(store.clone()));
        let first = tokio::spawn({
            let group = group.clone();
            async move { group.commit(&batch("r0")).await }
        });
        // The first transaction is in flight (waiting for its permit) while
        // nine more rooms commit.
        while store.entered.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let rest: Vec<_> = (1..10)
            .map(|i| {
                let group = group.clone();
                tokio::spawn(async move { group.commit(&batch(&format!("r{i}"))).await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(20)).await;
        store.gate.add_permits(2);
        assert!(first.await.expect("first").is_ok());
        for commit in rest {
            assert!(commit.await.expect("commit").is_ok());
        }
        let transactions = store.transactions.lock().expect("lock").clone();
        let expected: Vec<String> = (1..10).map(|i| format!("r{i}")).collect();
        assert_eq!(transactions, vec![vec!["r0".to_string()], expected]);
        group.stop().await;
    }

    #[tokio::test]
    async fn a_refused_batch_fails_alone_and_the_others_commit() {
        let store = Recorder::default();
        store.gate.add_permits(100);
        let group = GroupCommit::start(store.clone());
        let (a, bad, b) = (batch("a"), batch("bad"), batch("b"));
        let (a, bad, b) = tokio::join!(group.commit(&a), group.commit(&bad), group.commit(&b));
        assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
        assert!(matches!(bad, Err(StorageError::Corrupt(_))), "{bad:?}");
        let transactions = store.transactions.lock().expect("lock").clone();
        assert_eq!(transactions, vec![vec!["a", "bad", "b"], vec!["a"], vec!["bad"], vec!["b"]]);
        group.stop().await;
    }

    #[tokio::test]
    async fn stopping_commits_what_is_queued_and_refuses_the_rest() {
        let store = Recorder::default();
        store.gate.add_permits(100);
        let group = GroupCommit::start(store.clone());
        group.commit(&batch("before")).await.expect("commit before stopping");
        group.stop().await;
        assert!(matches!(group.commit(&batch("after")).await, Err(StorageError::Closed)));
        assert_eq!(store.transactions.lock().expect("lock").clone(), vec![vec!["before".to_string()]]);
    }
}
