//! Visitors on the site (O25): the live list, a visitor's profile and the invitation an
//! operator sends from it.

use domain::VisitorId;
use domain::visitor::{Invitation, InviteVisitor, VisitorFilter, VisitorList, VisitorProfile};
use leptos::prelude::*;

use crate::error::ConsoleError;

#[cfg(feature = "ssr")]
use super::ssr;

/// A page of the visitors on the site that match the filter.
#[server(endpoint = "live_visitors", input = leptos::server_fn::codec::Json)]
pub async fn live_visitors(filter: VisitorFilter) -> Result<VisitorList, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.live_visitors(&session, filter).await?)
}

/// How many visitors are on the site, for the sidebar.
#[server(endpoint = "visitors_on_site")]
pub async fn visitors_on_site() -> Result<u64, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.visitors_on_site(&session).await?)
}

/// A visitor's profile.
#[server(endpoint = "visitor_profile", input = leptos::server_fn::codec::Json)]
pub async fn load_visitor_profile(visitor_id: VisitorId) -> Result<VisitorProfile, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.visitor_profile(&session, visitor_id).await?)
}

/// Sends a visitor an invitation to chat.
#[server(endpoint = "invite_visitor", input = leptos::server_fn::codec::Json)]
pub async fn send_invitation(input: InviteVisitor) -> Result<Invitation, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.invite_visitor(&session, input).await?)
}
