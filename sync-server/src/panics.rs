//! Panics are caught where they can be (yrs calls, room actors) and logged
//! where they happen; this reads their message for those log lines.

use std::any::Any;

/// The text a panic was raised with (`panic!` with a literal or a format).
pub fn message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}
