//! Group commit: every batch a store commits goes through one committer,
//! which takes the batches that queued up while the previous transaction was
//! in flight and commits them in one transaction. Rooms then share one flush
//! (one fsync) instead of paying one each, and an embedded store never has
//! two writers fighting over its lock.
//!
//! The committer is a Tokio task for a store with an async driver
//! (Postgres), or a thread of its own for a store whose driver blocks
//! (SQLite): there the thread reads the queue itself, so a batch goes from
//! the room to the thread that writes it in one hand-off, and its result
//! comes straight back, with no task in between to wake on each drop.
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

use super::{StorageError, Write};

/// The most batches in one transaction: enough for every room of a busy
/// node, few enough that one transaction stays short.
const MAX_GROUP: usize = 256;

/// A store's way of committing several batches in one transaction, with an
/// async driver.
#[async_trait]
pub trait CommitBatches: Send + Sync + 'static {
    /// Applies every batch, in order, in one transaction: all or none.
    async fn commit_batches(&self, batches: &[Vec<Write>]) -> Result<(), StorageError>;
}

/// [`CommitBatches`] for a driver that blocks: it runs on the committer's
/// own thread and owns its connection.
pub trait CommitBatchesBlocking: Send + 'static {
    /// Applies every batch, in order, in one transaction: all or none.
    fn commit_batches(&mut self, batches: &[Vec<Write>]) -> Result<(), StorageError>;
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
    /// Closed once the committer has stopped.
    stopped: Mutex<Option<oneshot::Receiver<()>>>,
}

impl GroupCommit {
    /// Starts the committer as a task on the current Tokio runtime.
    pub fn start(store: impl CommitBatches) -> GroupCommit {
        let (queue, jobs) = mpsc::unbounded_channel();
        let (finished, stopped) = oneshot::channel();
        tokio::spawn(async move {
            run(store, jobs).await;
            drop(finished);
        });
        GroupCommit { queue, stopped: Mutex::new(Some(stopped)) }
    }

    /// Starts the committer on a thread of its own, named `name`.
    pub fn start_on_thread(name: &str, store: impl CommitBatchesBlocking) -> Result<GroupCommit, StorageError> {
        let (queue, jobs) = mpsc::unbounded_channel();
        let (finished, stopped) = oneshot::channel();
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                run_blocking(store, jobs);
                drop(finished);
            })
            .map_err(|e| StorageError::Corrupt(format!("cannot start the committer thread: {e}")))?;
        Ok(GroupCommit { queue, stopped: Mutex::new(Some(stopped)) })
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
        let stopped = self.stopped.lock().ok().and_then(|mut s| s.take());
        if let Some(stopped) = stopped {
            // Closed, not sent: the committer's end is dropped when it returns
            // (or unwinds).
            let _ = stopped.await;
        }
    }
}

/// The batches of one transaction and who waits for each.
#[derive(Default)]
struct Group {
    batches: Vec<Vec<Write>>,
    waiting: Vec<Done>,
    /// A stop came in: commit this group, then no more.
    stopping: bool,
}

/// `first` and whatever else is queued already, up to [`MAX_GROUP`].
fn gather(first: Job, jobs: &mut mpsc::UnboundedReceiver<Job>) -> Group {
    let mut group = Group::default();
    let mut next = Some(first);
    while let Some(job) = next.take() {
        match job {
            Job::Commit(writes, done) => {
                group.batches.push(writes);
                group.waiting.push(done);
            }
            Job::Stop => group.stopping = true,
        }
        if !group.stopping && group.batches.len() < MAX_GROUP {
            next = jobs.try_recv().ok();
        }
    }
    group
}

async fn run(store: impl CommitBatches, mut jobs: mpsc::UnboundedReceiver<Job>) {
    loop {
        let Some(first) = jobs.recv().await else { return };
        let Group { batches, waiting, stopping } = gather(first, &mut jobs);
        if !batches.is_empty() {
            let started = Instant::now();
            let together = store.commit_batches(&batches).await;
            if let Some(waiting) = answer(&batches, waiting, together, started) {
                for (batch, done) in batches.iter().zip(waiting) {
                    let _ = done.send(store.commit_batches(std::slice::from_ref(batch)).await);
                }
            }
        }
        if stopping {
            jobs.close();
            return;
        }
    }
}

fn run_blocking(mut store: impl CommitBatchesBlocking, mut jobs: mpsc::UnboundedReceiver<Job>) {
    loop {
        let Some(first) = jobs.blocking_recv() else { return };
        let Group { batches, waiting, stopping } = gather(first, &mut jobs);
        if !batches.is_empty() {
            let started = Instant::now();
            let together = store.commit_batches(&batches);
            if let Some(waiting) = answer(&batches, waiting, together, started) {
                for (batch, done) in batches.iter().zip(waiting) {
                    let _ = done.send(store.commit_batches(std::slice::from_ref(batch)));
                }
            }
        }
        if stopping {
            jobs.close();
            return;
        }
    }
}

/// Tells every waiter how the group's transaction went, unless it failed
/// for a group of several: then which batch refused is known only by trying
/// each alone, and the waiters are handed back for that.
fn answer(
    batches: &[Vec<Write>],
    waiting: Vec<Done>,
    together: Result<(), StorageError>,
    started: Instant,
) -> Option<Vec<Done>> {
    metrics::histogram!("jigsync_commit_group_batches").record(batches.len() as f64);
    metrics::histogram!("jigsync_commit_group_seconds").record(started.elapsed().as_secs_f64());
    match together {
        Ok(()) => {
            for done in waiting {
                let _ = done.send(Ok(()));
            }
            None
        }
        Err(err) if batches.len() == 1 => {
            if let Some(done) = waiting.into_iter().next() {
                let _ = done.send(Err(err));
            }
            None
        }
        Err(err) => {
            tracing::debug!(batches = batches.len(), error = %err, "group commit failed; committing its batches one by one");
            metrics::counter!("jigsync_commit_group_retries_total").increment(1);
            Some(waiting)
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

    /// The recorder as a blocking store, on the committer's own thread.
    struct OnThread(Recorder, tokio::runtime::Handle);

    impl CommitBatchesBlocking for OnThread {
        fn commit_batches(&mut self, batches: &[Vec<Write>]) -> Result<(), StorageError> {
            self.1.block_on(CommitBatches::commit_batches(&self.0, batches))
        }
    }

    fn on_task(store: Recorder) -> GroupCommit {
        GroupCommit::start(store)
    }

    fn on_thread(store: Recorder) -> GroupCommit {
        let handle = tokio::runtime::Handle::current();
        GroupCommit::start_on_thread("test-committer", OnThread(store, handle)).expect("committer thread")
    }

    /// Each scenario, once with the committer on a task and once on a thread.
    macro_rules! on_task_and_thread {
        ($($scenario:ident),*) => {
            mod task {
                $(#[tokio::test]
                async fn $scenario() {
                    super::$scenario(super::on_task).await
                })*
            }
            mod thread {
                $(#[tokio::test]
                async fn $scenario() {
                    super::$scenario(super::on_thread).await
                })*
            }
        };
    }

    on_task_and_thread!(
        batches_that_queue_behind_a_commit_share_the_next_one,
        a_refused_batch_fails_alone_and_the_others_commit,
        stopping_commits_what_is_queued_and_refuses_the_rest
    );

    async fn batches_that_queue_behind_a_commit_share_the_next_one(start: fn(Recorder) -> GroupCommit) {
        let store = Recorder::default();
        let group = Arc::new(start(store.clone()));
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

    async fn a_refused_batch_fails_alone_and_the_others_commit(start: fn(Recorder) -> GroupCommit) {
        let store = Recorder::default();
        store.gate.add_permits(100);
        let group = start(store.clone());
        let (a, bad, b) = (batch("a"), batch("bad"), batch("b"));
        let (a, bad, b) = tokio::join!(group.commit(&a), group.commit(&bad), group.commit(&b));
        assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
        assert!(matches!(bad, Err(StorageError::Corrupt(_))), "{bad:?}");
        let transactions = store.transactions.lock().expect("lock").clone();
        assert_eq!(transactions, vec![vec!["a", "bad", "b"], vec!["a"], vec!["bad"], vec!["b"]]);
        group.stop().await;
    }

    async fn stopping_commits_what_is_queued_and_refuses_the_rest(start: fn(Recorder) -> GroupCommit) {
        let store = Recorder::default();
        store.gate.add_permits(100);
        let group = start(store.clone());
        group.commit(&batch("before")).await.expect("commit before stopping");
        group.stop().await;
        assert!(matches!(group.commit(&batch("after")).await, Err(StorageError::Closed)));
        assert_eq!(store.transactions.lock().expect("lock").clone(), vec![vec!["before".to_string()]]);
    }
}
