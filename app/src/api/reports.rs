//! Reports (A7, supervisors and admins).

use domain::report::{Report, ReportQuery};
use leptos::prelude::*;

use crate::error::ConsoleError;

#[cfg(feature = "ssr")]
use super::ssr;

/// The figures of a date range and channel.
#[server(endpoint = "load_report", input = leptos::server_fn::codec::Json)]
pub async fn load_report(query: ReportQuery) -> Result<Report, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.report(&session, &query).await?)
}
