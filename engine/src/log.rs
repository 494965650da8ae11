//! Writing and reading the action log. Every operator action on a chat (the chat controls, not
//! messages: the chat keeps those) and on admin data is recorded once it has succeeded.

use domain::console::Role;
use domain::log::{ActionEntry, ActionFilter, ActionPage, PAGE_SIZE};
use domain::{ChatId, Error, OperatorId};

use crate::operators::Session;
use crate::{Engine, internal};

impl Engine {
    /// Records an action the session's operator has just done. A failure to record is logged
    /// and does not undo the action.
    pub(crate) async fn record(
        &self,
        session: &Session,
        action: &str,
        chat: Option<ChatId>,
        object: Option<String>,
    ) {
        let entry = ActionEntry {
            id: 0,
            at: self.now(),
            operator: session.operator.id,
            operator_name: session.operator.display_name().to_owned(),
            action: action.to_owned(),
            chat,
            object,
            ip: session.ip.clone(),
        };
        if let Err(err) = self.store.insert_action(&entry).await {
            tracing::error!(error = %err, action, "action log");
        }
    }

    /// Records a login attempt from `ip` on the account `operator`. An attempt on an email no
    /// account has belongs to nobody's log: it goes to the server's log instead.
    pub(crate) async fn record_login(
        &self,
        operator: Option<(OperatorId, String)>,
        email: &str,
        succeeded: bool,
        ip: Option<String>,
    ) {
        let Some((operator, operator_name)) = operator else {
            let email: String = email.trim().chars().take(120).collect();
            tracing::warn!(
                email,
                ip = ip.as_deref().unwrap_or("-"),
                "login with an unknown email"
            );
            return;
        };
        let entry = ActionEntry {
            id: 0,
            at: self.now(),
            operator,
            operator_name,
            action: if succeeded { "login" } else { "login_failed" }.to_owned(),
            chat: None,
            object: None,
            ip,
        };
        if let Err(err) = self.store.insert_action(&entry).await {
            tracing::error!(error = %err, "action log");
        }
    }

    /// A page of the action log, newest first (supervisors and admins).
    pub async fn action_log(
        &self,
        session: &Session,
        filter: &ActionFilter,
    ) -> Result<ActionPage, Error> {
        session.require_role(Role::Supervisor)?;
        let mut entries = self
            .store
            .actions(filter, PAGE_SIZE + 1)
            .await
            .map_err(internal)?;
        let more = i64::try_from(entries.len()).unwrap_or(i64::MAX) > PAGE_SIZE;
        entries.truncate(usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX));
        Ok(ActionPage {
            next_before: if more {
                entries.last().map(|e| e.id)
            } else {
                None
            },
            entries,
        })
    }
}
