//! The console as a whole: its snapshot and catch-up, who is online, and the operator's own
//! presence.

use domain::console::{ConsoleSnapshot, OnlineOperator};
use domain::reach::Interest;
use domain::{ChatEvent, EventId};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;

#[cfg(feature = "ssr")]
use super::ssr;

/// What a console window that shares another window's stream asks to catch up with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatchUpInput {
    /// The last event the window has.
    pub after: EventId,
    /// The chats its dashboard lists, as its stream would.
    pub interest: Interest,
}

/// Everything the console shows at load, under the channel filter this browser chose.
#[server(endpoint = "load_console")]
pub async fn load_console() -> Result<ConsoleSnapshot, ConsoleError> {
    let (context, session) = ssr::session().await?;
    let filter = ssr::request_cookie(crate::DASHBOARD_COOKIE)
        .and_then(|filter| domain::channel::ChannelFilter::parse(&filter))
        .unwrap_or_default();
    Ok(context.engine.console_snapshot(&session, filter).await?)
}

/// The events after `after` that a console with this interest would have received on its
/// stream: a window sharing another window's stream catches up with them. `reload_required`
/// when there are too many: load the console afresh.
#[server(endpoint = "console_catch_up", input = leptos::server_fn::codec::Json)]
pub async fn console_catch_up(input: CatchUpInput) -> Result<Vec<ChatEvent>, ConsoleError> {
    const MOST: usize = 2_000;
    let (context, session) = ssr::session().await?;
    context
        .engine
        .console_catch_up(&session, &input.interest, input.after, MOST)
        .await?
        .ok_or_else(|| {
            ConsoleError(domain::Error::new(
                domain::ErrorCode::ReloadRequired,
                "Too much happened meanwhile; loading afresh.",
            ))
        })
}

/// Operators online now (for the invite, transfer and private-chat pickers).
#[server(endpoint = "online_operators")]
pub async fn online_operators() -> Result<Vec<OnlineOperator>, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.online_operators(&session).await?)
}

/// The operator is at the console: a key, a click or a touch, reported now and then. What
/// makes them active (and not away); polls, the stream and viewing never do.
#[server(endpoint = "activity")]
pub async fn report_activity() -> Result<(), ConsoleError> {
    ssr::acting_session().await?;
    Ok(())
}

/// Ends the operator's sign-off for inactivity: back into their channels.
#[server(endpoint = "rejoin")]
pub async fn rejoin() -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.rejoin(&session).await?)
}

/// Sets the operator Unavailable (no chats offered, no new-chat pop-ups) or available again.
#[server(endpoint = "set_unavailable")]
pub async fn set_unavailable(unavailable: bool) -> Result<(), ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context
        .engine
        .set_unavailable(&session, unavailable)
        .await?)
}
