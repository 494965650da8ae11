//! Operator accounts (admins).

use domain::OperatorId;
use domain::admin::{NewOperator, OperatorAccount};
use domain::console::Role;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;

#[cfg(feature = "ssr")]
use super::ssr;

/// What the edit form of an operator sends (posted as `input[id]`, `input[email]`, …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorEditInput {
    /// The account.
    pub id: OperatorId,
    /// Its new login email, as typed.
    pub email: String,
    /// Its new name, as typed.
    pub name: String,
    /// Its new role.
    pub role: Role,
}

/// Disables or enables an operator (posted as `input[id]`, `input[disabled]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorDisabledInput {
    /// The account.
    pub id: OperatorId,
    /// `true` disables it, `false` enables it again.
    pub disabled: bool,
}

/// Every operator account (admins only).
#[server(endpoint = "list_operators")]
pub async fn list_operators() -> Result<Vec<OperatorAccount>, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.list_operators(&session).await?)
}

/// Creates an operator with the default password, changed at first login (admins only).
/// Posted as `input[email]`, `input[name]`, `input[role]`.
#[server(endpoint = "add_operator")]
pub async fn add_operator(input: NewOperator) -> Result<OperatorAccount, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.add_operator(&session, input).await?)
}

/// Changes an operator's email, name and role (admins only).
#[server(endpoint = "edit_operator")]
pub async fn edit_operator(input: OperatorEditInput) -> Result<OperatorAccount, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    let OperatorEditInput {
        id,
        email,
        name,
        role,
    } = input;
    Ok(context
        .engine
        .edit_operator(&session, id, NewOperator { email, name, role })
        .await?)
}

/// Disables an operator (their sessions and streams end at once) or enables them again
/// (admins only).
#[server(endpoint = "set_operator_disabled")]
pub async fn set_operator_disabled(
    input: OperatorDisabledInput,
) -> Result<OperatorAccount, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .set_operator_disabled(&session, input.id, input.disabled)
        .await?)
}

/// Gives an operator the default password again, ending their sessions (admins only).
#[server(endpoint = "reset_password")]
pub async fn reset_password(id: OperatorId) -> Result<OperatorAccount, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.reset_operator_password(&session, id).await?)
}
