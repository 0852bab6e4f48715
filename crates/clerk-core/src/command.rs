//! Commands: what an application asks the engine to do.
//!
//! [`Command`] is one enum with a sub-enum per flow. Property tests and fuzzers generate
//! it; applications usually call the typed methods on [`Client`](crate::Client) that
//! build it ([`Client::reload`](crate::Client::reload), …). Every accepted command starts
//! one operation that ends in exactly one
//! [`Event::OperationCompleted`](crate::Event::OperationCompleted).

use std::fmt;

use serde::Serialize;

use crate::reverification::ReverificationCommand;
use crate::session::SessionCommand;
use crate::sign_in::SignInCommand;
use crate::sign_up::SignUpCommand;

/// The part of the client a command acts on. At most one mutating operation per flow may
/// be pending at a time ([`CommandError::Busy`](crate::CommandError::Busy)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Flow {
    /// The Client object itself: load, reload, create, destroy, sign-out.
    Client,
    /// The client's sign-in attempt.
    SignIn,
    /// The client's sign-up attempt.
    SignUp,
    /// Sessions and session tokens.
    Session,
    /// Reverification of a signed-in session.
    Reverification,
}

impl fmt::Display for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Flow::Client => "client",
            Flow::SignIn => "sign_in",
            Flow::SignUp => "sign_up",
            Flow::Session => "session",
            Flow::Reverification => "reverification",
        })
    }
}

/// Everything an application can ask of the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum Command {
    /// A command on the Client object.
    Client(ClientCommand),
    /// A command on the sign-in attempt.
    SignIn(SignInCommand),
    /// A command on the sign-up attempt.
    SignUp(SignUpCommand),
    /// A command on sessions and session tokens.
    Session(SessionCommand),
    /// A reverification step.
    Reverification(ReverificationCommand),
}

impl Command {
    /// The flow this command belongs to.
    #[must_use]
    pub fn flow(&self) -> Flow {
        match self {
            Command::Client(_) => Flow::Client,
            Command::SignIn(_) => Flow::SignIn,
            Command::SignUp(_) => Flow::SignUp,
            Command::Session(_) => Flow::Session,
            Command::Reverification(_) => Flow::Reverification,
        }
    }

    /// Whether submitting this command signs out here at once, before its request is
    /// answered: a sign-out, removing every session, destroying the client. Its request
    /// must still reach the server when the caller stops waiting, or the sessions signed
    /// out here would stay valid on the server (and come back at the next reload): a
    /// [`cancel`](crate::Client::cancel) of such an operation ends it for its caller and
    /// leaves its request to the engine.
    #[must_use]
    pub fn signs_out_locally_first(&self) -> bool {
        matches!(
            self,
            Command::Session(SessionCommand::SignOut { .. })
                | Command::Client(ClientCommand::Destroy | ClientCommand::RemoveSessions)
        )
    }

    /// A short stable name, as used in errors and the legality table.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Command::Client(command) => command.name(),
            Command::SignIn(command) => command.name(),
            Command::SignUp(command) => command.name(),
            Command::Session(command) => command.name(),
            Command::Reverification(command) => command.name(),
        }
    }

    /// Whether the command changes server state (and so makes its flow busy until it
    /// completes).
    #[must_use]
    pub fn is_mutating(&self) -> bool {
        match self {
            Command::Client(command) => command.is_mutating(),
            Command::SignIn(command) => command.is_mutating(),
            Command::SignUp(command) => command.is_mutating(),
            Command::Session(command) => command.is_mutating(),
            Command::Reverification(_) => true,
        }
    }
}

impl From<ClientCommand> for Command {
    fn from(command: ClientCommand) -> Self {
        Command::Client(command)
    }
}

impl From<SignInCommand> for Command {
    fn from(command: SignInCommand) -> Self {
        Command::SignIn(command)
    }
}

impl From<SessionCommand> for Command {
    fn from(command: SessionCommand) -> Self {
        Command::Session(command)
    }
}

impl From<ReverificationCommand> for Command {
    fn from(command: ReverificationCommand) -> Self {
        Command::Reverification(command)
    }
}

impl From<SignUpCommand> for Command {
    fn from(command: SignUpCommand) -> Self {
        Command::SignUp(command)
    }
}

/// Commands on Clerk's Client object (fapi.md §3.2, design §7.6 and §7.9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ClientCommand {
    /// Bootstrap: `GET /v1/environment` and, when a client token is known, `GET /v1/client`.
    Load,
    /// `GET /v1/environment` alone.
    LoadEnvironment,
    /// `GET /v1/client`, applied through the stale gate.
    Reload,
    /// `POST /v1/client` (native) or `PUT /v1/client` (browser mode): a new client.
    Create,
    /// `DELETE /v1/client`: ends the client, drops the client token and every local
    /// session, whatever the server answers.
    Destroy,
    /// `DELETE /v1/client/sessions`: signs out of every session, keeps the client token.
    RemoveSessions,
    /// Forgets the local sign-in attempt (no request). The server's attempt with that id
    /// stays hidden until a new attempt appears.
    ResetSignIn,
    /// Forgets the local sign-up attempt (no request), likewise.
    ResetSignUp,
    /// Drops every cached session token (no request).
    ClearCache,
}

impl ClientCommand {
    /// A short stable name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            ClientCommand::Load => "load",
            ClientCommand::LoadEnvironment => "load_environment",
            ClientCommand::Reload => "reload",
            ClientCommand::Create => "create",
            ClientCommand::Destroy => "destroy",
            ClientCommand::RemoveSessions => "remove_sessions",
            ClientCommand::ResetSignIn => "reset_sign_in",
            ClientCommand::ResetSignUp => "reset_sign_up",
            ClientCommand::ClearCache => "clear_cache",
        }
    }

    /// Whether the command changes server state.
    #[must_use]
    pub fn is_mutating(&self) -> bool {
        matches!(self, ClientCommand::Create | ClientCommand::Destroy | ClientCommand::RemoveSessions)
    }
}
