//! yrs is third-party code fed by clients: every call into it runs under
//! this guard, so a panic in it costs one request, not the room's task. A
//! caught panic is counted (`jigsync_yrs_panics_total{op}`) and logged.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::doc::BoardError;

/// Runs yrs code that may panic.
pub fn guarded<T>(op: &'static str, f: impl FnOnce() -> T) -> Result<T, BoardError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let message = crate::panics::message(&*payload);
        metrics::counter!("jigsync_yrs_panics_total", "op" => op).increment(1);
        tracing::error!(op, panic = %message, "yrs panicked; the board is rebuilt from storage");
        BoardError::Panicked(op)
    })
}
