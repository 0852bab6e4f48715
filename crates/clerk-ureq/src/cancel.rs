//! Ending a blocking call from another thread: the [`Canceller`] handle, and the guard a
//! call holds while it runs.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

/// A handle that ends the call a [`Clerk`](crate::Clerk) is running, from another thread.
///
/// Get it with [`Clerk::canceller`](crate::Clerk::canceller) before the call (the call
/// holds `&mut Clerk`). It is cheap to clone, `Send` and `Sync`; every clone is the same
/// handle.
///
/// A cancel ends **the call running at that moment** only: the call wakes from its sleep
/// (between email-link polls, during a retry backoff) at once, cancels its operation in
/// the engine and returns
/// [`DriverError::Operation`](crate::DriverError::Operation)`(`[`OperationError::Cancelled`](clerk_core::OperationError::Cancelled)`)`.
/// A request already on the wire is not interrupted; the call ends when its answer (or
/// its own time limit) arrives. A cancel while no call runs does nothing, so it can never
/// end a later call; and a call whose operation completed just before the cancel returns
/// that completion.
#[derive(Clone, Debug)]
pub struct Canceller {
    shared: Arc<CancelSignal>,
}

/// The state a driver shares with its cancellers.
#[derive(Debug, Default)]
struct CancelSignal {
    call: Mutex<CallState>,
    /// Wakes a call sleeping until a deadline when it is cancelled.
    woken: Condvar,
}

#[derive(Debug, Default)]
struct CallState {
    /// A call is running.
    running: bool,
    /// The running call was asked to end.
    cancel_requested: bool,
}

impl Canceller {
    /// A handle for a new driver: no call running.
    pub(crate) fn new() -> Self {
        Canceller { shared: Arc::new(CancelSignal::default()) }
    }

    /// Ends the call the driver is running now (see the type's documentation). Returns
    /// whether a call was running; `false` means nothing was done.
    pub fn cancel(&self) -> bool {
        let mut call = self.shared.lock();
        if !call.running {
            return false;
        }
        call.cancel_requested = true;
        self.shared.woken.notify_all();
        true
    }
}

impl CancelSignal {
    /// The call state. A panic while it was held (there is no code that can panic there)
    /// left it consistent: two booleans.
    fn lock(&self) -> MutexGuard<'_, CallState> {
        self.call.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Marks a call as running from [`begin`](Self::begin) until it is dropped (whatever way
/// the call returns): only while it lives does a cancel reach the call.
#[derive(Debug)]
pub(crate) struct CallGuard {
    shared: Arc<CancelSignal>,
}

impl CallGuard {
    /// A call starts: a cancel made before it (while no call ran) is not kept.
    pub(crate) fn begin(canceller: &Canceller) -> Self {
        let shared = Arc::clone(&canceller.shared);
        *shared.lock() = CallState { running: true, cancel_requested: false };
        CallGuard { shared }
    }

    /// Whether the call was asked to end.
    pub(crate) fn cancel_requested(&self) -> bool {
        self.shared.lock().cancel_requested
    }

    /// Sleeps for `duration`, or less when a cancel arrives. Returns whether the call was
    /// asked to end (then it did not sleep, or stopped sleeping at once).
    pub(crate) fn sleep_unless_cancelled(&self, duration: std::time::Duration) -> bool {
        let call = self.shared.lock();
        let (call, _) = self
            .shared
            .woken
            .wait_timeout_while(call, duration, |call| !call.cancel_requested)
            .unwrap_or_else(PoisonError::into_inner);
        call.cancel_requested
    }
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        *self.shared.lock() = CallState::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn a_cancel_with_no_call_running_does_nothing_and_is_not_kept() {
        let canceller = Canceller::new();
        assert!(!canceller.cancel());
        let call = CallGuard::begin(&canceller);
        assert!(!call.cancel_requested());
        assert!(!call.sleep_unless_cancelled(Duration::from_millis(1)));
    }

    #[test]
    fn a_cancel_reaches_the_running_call_only() {
        let canceller = Canceller::new();
        {
            let call = CallGuard::begin(&canceller);
            assert!(canceller.clone().cancel());
            assert!(call.cancel_requested());
            assert!(call.sleep_unless_cancelled(Duration::from_secs(600)), "no sleep once cancelled");
        }
        // The call ended: the next one starts afresh.
        let next = CallGuard::begin(&canceller);
        assert!(!next.cancel_requested());
    }

    #[test]
    fn a_cancel_wakes_a_sleeping_call() {
        let canceller = Canceller::new();
        let call = CallGuard::begin(&canceller);
        let started = Instant::now();
        let woken = std::thread::scope(|scope| {
            let sleeper = scope.spawn(|| call.sleep_unless_cancelled(Duration::from_secs(600)));
            // The sleeper may not be asleep yet: then it finds the request before sleeping.
            assert!(canceller.cancel());
            sleeper.join().expect("the sleeper")
        });
        assert!(woken);
        assert!(started.elapsed() < Duration::from_secs(60), "woken long before the deadline");
    }

    #[test]
    fn the_handle_can_be_shared_between_threads() {
        fn shareable<T: Clone + Send + Sync + 'static>() {}
        shareable::<Canceller>();
    }
}
