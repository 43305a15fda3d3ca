//! The library's own small Tokio runtime, on which every discovery and JWKS fetch runs.
//!
//! The key cache is process-wide while request handlers may run on any number of runtimes
//! (every `#[tokio::test]` builds its own). Running fetches here means no timer, connection
//! pool or task of the cache ever belongs to a runtime that may shut down; request tasks only
//! await the outcome, which works from any runtime.

use std::future::Future;
use std::sync::LazyLock;

use tokio::runtime::{Builder, Runtime};
use tokio::task::JoinHandle;

static RUNTIME: LazyLock<Result<Runtime, String>> = LazyLock::new(|| {
    Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("jwks-guard-fetch")
        .enable_all()
        .build()
        .map_err(|error| error.to_string())
});

/// Runs `task` on the fetch runtime.
pub(crate) fn spawn<F>(task: F) -> Result<JoinHandle<F::Output>, String>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match &*RUNTIME {
        Ok(runtime) => Ok(runtime.spawn(task)),
        Err(error) => Err(format!("cannot start the key fetch runtime: {error}")),
    }
}
