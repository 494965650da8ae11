//! The console's server-function error: a `domain::Error` (stable code, safe message) that
//! survives the trip through server functions. The server turns its code into the HTTP status.

use std::fmt;

use domain::{Error, ErrorCode};
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// An error answered by a console server function.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleError(pub Error);

impl ConsoleError {
    /// The error's code.
    pub fn code(&self) -> ErrorCode {
        self.0.code
    }

    /// The message to show.
    pub fn message(&self) -> &str {
        &self.0.message
    }
}

/// The message to show for an action's last result, if it failed.
pub fn failure_message<T>(result: Option<Result<T, ConsoleError>>) -> Option<String> {
    result.and_then(Result::err).map(|err| err.0.message)
}

impl fmt::Display for ConsoleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for ConsoleError {}

impl From<Error> for ConsoleError {
    fn from(err: Error) -> Self {
        Self(err)
    }
}

impl FromServerFnError for ConsoleError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self(match value {
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_) => {
                Error::new(ErrorCode::BadRequest, "The request was not understood.")
            }
            // Not an answer from the server: worth trying again.
            ServerFnErrorErr::Request(_) => Error::new(
                ErrorCode::Unavailable,
                "Could not reach the server. Check your connection.",
            ),
            _ => Error::internal(),
        })
    }
}
