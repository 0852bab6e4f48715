//! Going on without the Frontend API: when it cannot be reached, a command works from the
//! state stored on this machine instead of failing before it starts.

use clerk_core::OperationError;
use clerk_ureq::{Clerk, DriverError};

use crate::describe;
use crate::failure::{Failure, Kind};

/// Loads the environment and the client. When the Frontend API cannot be reached and the
/// command `works_offline`, warns on standard error and goes on with the state restored
/// from the token store: `whoami` and `sessions` show it, `sign-out` clears it (saying the
/// server was not told). A command that needs the server fails at once, saying so.
///
/// Returns whether the command goes on offline.
///
/// # Errors
/// Any other failure of the load (the server refused, an answer that cannot be used, …),
/// or an unreachable server for a command that needs it.
pub(crate) fn load_or_keep_stored(clerk: &mut Clerk, works_offline: bool) -> Result<bool, Failure> {
    match clerk.load() {
        Ok(_) => Ok(false),
        Err(error) if is_unreachable(&error) => {
            let base_url = clerk.engine().config().base_url().to_owned();
            if !works_offline {
                return Err(Failure::new(
                    Kind::of(&error),
                    format!(
                        "cannot reach the Frontend API at {base_url} ({error}): check that it is running and that \
                         the publishable key is the right one"
                    ),
                ));
            }
            eprintln!(
                "clerk: warning: could not reach the Frontend API at {base_url} ({error}); using the state stored on this machine"
            );
            Ok(true)
        }
        Err(error) => Err(describe(error)),
    }
}

/// Whether a failure means the server could not be reached: the network failed on every
/// attempt, or the attempts ran past the operation timeout.
fn is_unreachable(error: &DriverError) -> bool {
    matches!(error, DriverError::Operation(OperationError::Transport(_)) | DriverError::Timeout { .. })
}
