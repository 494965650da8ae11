//! Operator accounts (admins).

use domain::OperatorId;
use domain::admin::OperatorAccount;
use domain::console::Role;
use leptos::prelude::*;

use crate::error::ConsoleError;

#[cfg(feature = "ssr")]
use super::ssr;

#[cfg(feature = "ssr")]
use engine::NewOperator;

/// Every operator account (admins only).
#[server(endpoint = "list_operators")]
pub async fn list_operators() -> Result<Vec<OperatorAccount>, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.list_operators(&session).await?)
}

/// Creates an operator with the default password, changed at first login (admins only).
#[server(endpoint = "add_operator")]
pub async fn add_operator(
    email: String,
    name: String,
    role: Role,
) -> Result<OperatorAccount, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .add_operator(&session, NewOperator { email, name, role })
        .await?)
}

/// Changes an operator's email, name and role (admins only).
#[server(endpoint = "edit_operator")]
pub async fn edit_operator(
    id: OperatorId,
    email: String,
    name: String,
    role: Role,
) -> Result<OperatorAccount, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .edit_operator(&session, id, NewOperator { email, name, role })
        .await?)
}

/// Disables an operator (their sessions and streams end at once) or enables them again
/// (admins only).
#[server(endpoint = "set_operator_disabled")]
pub async fn set_operator_disabled(
    id: OperatorId,
    disabled: bool,
) -> Result<OperatorAccount, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .set_operator_disabled(&session, id, disabled)
        .await?)
}

/// Gives an operator the default password again, ending their sessions (admins only).
#[server(endpoint = "reset_password")]
pub async fn reset_password(id: OperatorId) -> Result<OperatorAccount, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.reset_operator_password(&session, id).await?)
}
