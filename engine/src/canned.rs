//! Canned messages: everyone reads the shared ones and their own; supervisors and admins keep
//! the shared ones; each operator keeps their own.

use domain::canned::{CannedInput, CannedMessage};
use domain::console::Role;
use domain::{CannedId, Error, ErrorCode};
use uuid::Uuid;

use crate::operators::Session;
use crate::store::StoreError;
use crate::{Engine, internal};

fn not_yours() -> Error {
    Error::new(
        ErrorCode::Forbidden,
        "Only supervisors and admins change shared canned messages, and only you change yours.",
    )
}

impl Engine {
    /// The shared canned messages and the operator's own.
    pub async fn canned_messages(&self, session: &Session) -> Result<Vec<CannedMessage>, Error> {
        session.require_ready()?;
        self.store
            .canned_for(session.operator.id)
            .await
            .map_err(internal)
    }

    /// Whether the operator may change a canned message that is shared or personal.
    fn may_keep(session: &Session, shared: bool, owner: Option<domain::OperatorId>) -> bool {
        if shared {
            session.operator.role >= Role::Supervisor
        } else {
            owner == Some(session.operator.id)
        }
    }

    /// Creates (no `id`) or changes a canned message.
    pub async fn save_canned(
        &self,
        session: &Session,
        id: Option<CannedId>,
        shared: bool,
        title: &str,
        shortcut: &str,
        body: &str,
    ) -> Result<CannedMessage, Error> {
        session.require_ready()?;
        let owner = (!shared).then_some(session.operator.id);
        if !Self::may_keep(session, shared, owner) {
            return Err(not_yours());
        }
        let input = CannedInput::parse(title, shortcut, body)?;
        let id = match id {
            Some(id) => {
                let existing = self
                    .store
                    .canned(id)
                    .await
                    .map_err(internal)?
                    .ok_or_else(|| {
                        Error::new(ErrorCode::InvalidField, "No such canned message.")
                    })?;
                if existing.owner != owner {
                    return Err(not_yours());
                }
                id
            }
            None => CannedId(Uuid::now_v7()),
        };
        let message = CannedMessage {
            id,
            owner,
            title: input.title,
            shortcut: input.shortcut,
            body: input.body,
        };
        match self.store.save_canned(&message, self.now()).await {
            Ok(()) => {
                self.record(
                    session,
                    "save_canned",
                    None,
                    Some(format!("/{}", message.shortcut)),
                )
                .await;
                Ok(message)
            }
            Err(StoreError::Conflict) => Err(Error::new(
                ErrorCode::InvalidField,
                format!("The shortcut /{} is already in use.", message.shortcut),
            )),
            Err(err) => Err(internal(err)),
        }
    }

    /// Deletes a canned message.
    pub async fn delete_canned(&self, session: &Session, id: CannedId) -> Result<(), Error> {
        session.require_ready()?;
        let existing = self
            .store
            .canned(id)
            .await
            .map_err(internal)?
            .ok_or_else(|| Error::new(ErrorCode::InvalidField, "No such canned message."))?;
        if !Self::may_keep(session, existing.owner.is_none(), existing.owner) {
            return Err(not_yours());
        }
        self.store.delete_canned(id).await.map_err(internal)?;
        self.record(
            session,
            "delete_canned",
            None,
            Some(format!("/{}", existing.shortcut)),
        )
        .await;
        Ok(())
    }
}
