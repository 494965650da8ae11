//! Operator accounts: admins create, edit, disable and re-enable them; every operator edits
//! their own profile. Disabling takes effect at once: sessions end and live streams close.

use domain::admin::{OperatorAccount, parse_languages};
use domain::chat::{MAX_NAME_CHARS, parse_display_name};
use domain::console::Role;
use domain::{Error, ErrorCode, OperatorId};

use crate::operators::{Session, normalise_email};
use crate::store::{OperatorRecord, StoreError};
use crate::{Engine, NewOperator, internal};

fn account(record: OperatorRecord) -> OperatorAccount {
    OperatorAccount {
        id: record.id,
        email: record.email,
        name: record.name,
        chat_name: record.chat_name,
        role: record.role,
        disabled: record.disabled,
        must_change_password: record.must_change_password,
        languages: record.languages,
        invitation_name: record.invitation_name,
        created_at: record.created_at,
    }
}

fn email_taken(err: StoreError) -> Error {
    match err {
        StoreError::Conflict => Error::new(
            ErrorCode::InvalidField,
            "An operator with that email already exists.",
        ),
        other => internal(other),
    }
}

/// An optional name: blank is allowed (it means "use the other name").
fn optional_name(text: &str, what: &str) -> Result<String, Error> {
    let text = text.trim();
    if text.chars().count() > MAX_NAME_CHARS || text.chars().any(domain::chat::unfit_for_names) {
        return Err(Error::new(
            ErrorCode::InvalidField,
            format!("The {what} is limited to {MAX_NAME_CHARS} printable characters."),
        ));
    }
    Ok(text.to_owned())
}

impl Engine {
    async fn operator_record(&self, id: OperatorId) -> Result<OperatorRecord, Error> {
        self.store
            .operator_by_id(id)
            .await
            .map_err(internal)?
            .ok_or_else(|| Error::new(ErrorCode::InvalidField, "No such operator."))
    }

    /// Every operator account (admins only).
    pub async fn list_operators(&self, session: &Session) -> Result<Vec<OperatorAccount>, Error> {
        session.require_role(Role::Admin)?;
        let records = self.store.operators().await.map_err(internal)?;
        Ok(records.into_iter().map(account).collect())
    }

    /// Creates an operator with the default password (admins only).
    pub async fn add_operator(
        &self,
        session: &Session,
        input: NewOperator,
    ) -> Result<OperatorAccount, Error> {
        session.require_role(Role::Admin)?;
        let created = self.create_operator(input).await?;
        self.record(session, "add_operator", None, Some(created.email.clone()))
            .await;
        Ok(account(created))
    }

    /// Changes an operator's email, name and role (admins only). Admins cannot demote
    /// themselves, so there is always an admin.
    pub async fn edit_operator(
        &self,
        session: &Session,
        id: OperatorId,
        input: NewOperator,
    ) -> Result<OperatorAccount, Error> {
        session.require_role(Role::Admin)?;
        self.operator_record(id).await?;
        if id == session.operator.id && input.role != Role::Admin {
            return Err(Error::new(
                ErrorCode::Forbidden,
                "You cannot take the admin role from yourself.",
            ));
        }
        let email = normalise_email(&input.email)?;
        let name = parse_display_name(Some(&input.name), true)?.unwrap_or_default();
        self.store
            .update_operator_account(id, &email, &name, input.role)
            .await
            .map_err(email_taken)?;
        self.record(session, "edit_operator", None, Some(email))
            .await;
        self.operator_record(id).await.map(account)
    }

    /// Disables an operator — their sessions end and their live streams close at once — or
    /// enables them again (admins only; never oneself).
    pub async fn set_operator_disabled(
        &self,
        session: &Session,
        id: OperatorId,
        disabled: bool,
    ) -> Result<OperatorAccount, Error> {
        session.require_role(Role::Admin)?;
        if id == session.operator.id {
            return Err(Error::new(
                ErrorCode::Forbidden,
                "You cannot disable your own account.",
            ));
        }
        self.store
            .set_operator_disabled(id, disabled)
            .await
            .map_err(|err| match err {
                StoreError::NotFound => Error::new(ErrorCode::InvalidField, "No such operator."),
                other => internal(other),
            })?;
        if disabled {
            self.revoke(id);
        }
        let record = self.operator_record(id).await?;
        let action = if disabled {
            "disable_operator"
        } else {
            "enable_operator"
        };
        self.record(session, action, None, Some(record.email.clone()))
            .await;
        Ok(account(record))
    }

    /// The operator's own account.
    pub async fn profile(&self, session: &Session) -> Result<OperatorAccount, Error> {
        session.require_ready()?;
        self.operator_record(session.operator.id).await.map(account)
    }

    /// Saves the operator's online chat name, chat languages and invitation name.
    pub async fn save_profile(
        &self,
        session: &Session,
        chat_name: &str,
        languages: &str,
        invitation_name: &str,
    ) -> Result<OperatorAccount, Error> {
        session.require_ready()?;
        let chat_name = optional_name(chat_name, "online chat name")?;
        let invitation_name = optional_name(invitation_name, "name in invitations")?;
        let languages = parse_languages(languages)?;
        self.store
            .update_operator_profile(
                session.operator.id,
                &chat_name,
                &invitation_name,
                &languages,
            )
            .await
            .map_err(internal)?;
        self.operator_record(session.operator.id).await.map(account)
    }

    /// Gives an operator the default password again (admins only; not oneself): their
    /// sessions end, and they must change it at their next login, within the default
    /// password's lifetime.
    pub async fn reset_operator_password(
        &self,
        session: &Session,
        id: OperatorId,
    ) -> Result<OperatorAccount, Error> {
        session.require_role(Role::Admin)?;
        if id == session.operator.id {
            return Err(Error::new(
                ErrorCode::Forbidden,
                "Change your own password on your profile instead.",
            ));
        }
        let record = self.operator_record(id).await?;
        let hash = self.default_password_hash().await?;
        self.store
            .set_password(id, &hash, true, None, self.now())
            .await
            .map_err(internal)?;
        self.revoke(id);
        self.record(session, "reset_password", None, Some(record.email))
            .await;
        self.operator_record(id).await.map(account)
    }
}
