//! Operator accounts and sessions: the first admin, login, the forced change of the default
//! password, logout.

use domain::console::{Me, Role};
use domain::limits::{FAILED_LOGINS_PER_ACCOUNT, FAILED_LOGINS_PER_ADDRESS, LOGIN_WINDOW_MS};
use domain::{Actor, Error, ErrorCode, OperatorId, Timestamp};
use uuid::Uuid;

use crate::auth::{self, DEFAULT_PASSWORD, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
use crate::store::{OperatorRecord, SessionRecord, StoreError};
use crate::{Engine, internal};

/// A new operator account; defined in `domain` because the console sends it.
pub use domain::admin::NewOperator;

/// A session is marked as used at most this often, to spare the writer (milliseconds).
const TOUCH_EVERY_MS: i64 = 60_000;

/// An authenticated console request: the session and its operator, as loaded for this request.
#[derive(Clone, Debug)]
pub struct Session {
    /// Hash of the session token.
    pub token_hash: String,
    /// The operator, as stored.
    pub operator: OperatorRecord,
    /// The address the request came from, for the action log.
    pub ip: Option<String>,
    /// When the session ends unless it is used again before.
    pub expires_at: Timestamp,
}

impl Session {
    /// Refuses everything but the password change while the default password is in use.
    pub fn require_ready(&self) -> Result<(), Error> {
        if self.operator.must_change_password {
            return Err(Error::new(
                ErrorCode::PasswordChangeRequired,
                "Please change the default password first.",
            ));
        }
        Ok(())
    }

    /// Refuses callers below a role.
    pub fn require_role(&self, role: Role) -> Result<(), Error> {
        self.require_ready()?;
        if self.operator.role < role {
            return Err(Error::new(
                ErrorCode::Forbidden,
                "You are not allowed to do this.",
            ));
        }
        Ok(())
    }

    /// The operator as a state-machine actor.
    pub fn actor(&self) -> Actor {
        Actor::Operator {
            id: self.operator.id,
            name: self.operator.display_name().to_owned(),
        }
    }

    /// The operator as the console shows them.
    pub fn me(&self) -> Me {
        Me {
            id: self.operator.id,
            email: self.operator.email.clone(),
            chat_name: self.operator.display_name().to_owned(),
            role: self.operator.role,
            must_change_password: self.operator.must_change_password,
            unavailable: self.operator.unavailable,
            signed_off_at: self.operator.signed_off_at,
        }
    }
}

/// A successful login.
#[derive(Clone, Debug)]
pub struct LoginOutcome {
    /// The session token for the cookie (shown once; stored hashed).
    pub token: String,
    /// Whether the operator must change the default password before anything else.
    pub must_change_password: bool,
}

fn invalid_credentials() -> Error {
    Error::new(ErrorCode::InvalidCredentials, "Wrong email or password.")
}

pub(crate) fn normalise_email(email: &str) -> Result<String, Error> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
        && !email.chars().any(char::is_whitespace);
    if valid {
        Ok(email)
    } else {
        Err(Error::new(
            ErrorCode::InvalidField,
            "That email address is not valid.",
        ))
    }
}

impl Engine {
    /// Creates the first admin when there are no operators; answers its email if it did.
    pub async fn ensure_first_admin(&self, email: &str) -> Result<Option<String>, Error> {
        if self.store.operator_count().await.map_err(internal)? > 0 {
            return Ok(None);
        }
        let admin = self
            .create_operator(NewOperator {
                email: email.to_owned(),
                name: "Admin".to_owned(),
                role: Role::Admin,
            })
            .await?;
        Ok(Some(admin.email))
    }

    /// A fresh hash of the default password.
    pub(crate) async fn default_password_hash(&self) -> Result<String, Error> {
        self.hashing(|| auth::hash_password(DEFAULT_PASSWORD))
            .await?
            .map_err(|err| {
                tracing::error!(error = %err, "password hashing");
                Error::internal()
            })
    }

    /// Creates an operator with the default password, which they must change at first login.
    pub async fn create_operator(&self, input: NewOperator) -> Result<OperatorRecord, Error> {
        let email = normalise_email(&input.email)?;
        let name = domain::chat::parse_display_name(Some(&input.name), true)?.unwrap_or_default();
        let password_hash = self.default_password_hash().await?;
        let record = OperatorRecord {
            id: OperatorId(Uuid::now_v7()),
            email,
            name,
            chat_name: String::new(),
            role: input.role,
            password_hash,
            must_change_password: true,
            disabled: false,
            created_at: self.now(),
            languages: Vec::new(),
            invitation_name: String::new(),
            password_set_at: self.now(),
            unavailable: false,
            signed_off_at: None,
            signed_off_channels: Vec::new(),
        };
        match self.store.insert_operator(&record).await {
            Ok(()) => Ok(record),
            Err(StoreError::Conflict) => Err(Error::new(
                ErrorCode::InvalidField,
                "An operator with that email already exists.",
            )),
            Err(err) => Err(internal(err)),
        }
    }

    /// Checks email and password and opens a new session. Never says which of the two was wrong.
    pub async fn login(&self, email: &str, password: &str) -> Result<LoginOutcome, Error> {
        self.login_from(email, password, None).await
    }

    /// [`Engine::login`] from the address `ip`; every attempt, failed or not, goes into the
    /// action log with it.
    pub async fn login_from(
        &self,
        email: &str,
        password: &str,
        ip: Option<String>,
    ) -> Result<LoginOutcome, Error> {
        let mut account = None;
        let outcome = self
            .attempt_login(email, password, ip.as_deref(), &mut account)
            .await;
        // A refused attempt was not made: it leaves no trace.
        if !outcome
            .as_ref()
            .is_err_and(|err| err.code == ErrorCode::RateLimited)
        {
            let known = account.map(|op| (op.id, op.display_name().to_owned()));
            self.record_login(known, email, outcome.is_ok(), ip).await;
        }
        outcome
    }

    /// Checks the credentials and opens a session; `account` learns the account the email
    /// names, if any.
    async fn attempt_login(
        &self,
        email: &str,
        password: &str,
        ip: Option<&str>,
        account: &mut Option<OperatorRecord>,
    ) -> Result<LoginOutcome, Error> {
        let key = normalise_email(email).unwrap_or_else(|_| email.trim().to_lowercase());
        let address = ip.unwrap_or("unknown");
        self.login_allowed(&key, address).await?;
        let outcome = self.check_credentials(email, password, account).await;
        match &outcome {
            Ok(_) => self.store.clear_login_failures(&key).await,
            Err(_) => {
                let at = self.now();
                self.store
                    .record_login_failure(&key, address, at, Timestamp(at.0 - LOGIN_WINDOW_MS))
                    .await
            }
        }
        .map_err(internal)?;
        outcome
    }

    /// Refuses a login while its account or its address has had too many recent failures.
    async fn login_allowed(&self, email: &str, address: &str) -> Result<(), Error> {
        let at = self.now();
        let failures = self
            .store
            .login_failures(email, address, Timestamp(at.0 - LOGIN_WINDOW_MS))
            .await
            .map_err(internal)?;
        let (account, from) = (failures.by_email, failures.by_address);
        let wait = domain::limits::login_wait(account.0, account.1, FAILED_LOGINS_PER_ACCOUNT, at)
            .into_iter()
            .chain(domain::limits::login_wait(
                from.0,
                from.1,
                FAILED_LOGINS_PER_ADDRESS,
                at,
            ))
            .max();
        match wait {
            Some(seconds) => Err(Error::rate_limited(
                seconds,
                "Too many failed logins. Please wait before trying again.",
            )),
            None => Ok(()),
        }
    }

    /// Checks email and password (and that the default password is still valid) and opens a
    /// session.
    async fn check_credentials(
        &self,
        email: &str,
        password: &str,
        account: &mut Option<OperatorRecord>,
    ) -> Result<LoginOutcome, Error> {
        if password.chars().count() > MAX_PASSWORD_CHARS {
            return Err(invalid_credentials());
        }
        let operator = match normalise_email(email) {
            Ok(email) => self
                .store
                .operator_by_email(&email)
                .await
                .map_err(internal)?,
            Err(_) => None,
        };
        account.clone_from(&operator);
        // Unknown emails cost the same hashing work as known ones, so timing tells nothing.
        let phc = operator
            .as_ref()
            .map(|op| op.password_hash.clone())
            .unwrap_or_else(|| DUMMY_HASH.to_owned());
        let password = password.to_owned();
        let verified = self
            .hashing(move || auth::verify_password(&password, &phc))
            .await?;
        let Some(operator) = operator.filter(|op| verified && !op.disabled) else {
            return Err(invalid_credentials());
        };
        if operator.must_change_password {
            let lifetime = self.settings().await?.default_password_ms();
            if self.now().millis_since(operator.password_set_at) > lifetime {
                return Err(Error::new(
                    ErrorCode::DefaultPasswordExpired,
                    "This account's first password has expired. Ask an admin to reset it.",
                ));
            }
        }
        let (token, token_hash) = auth::new_token().map_err(|err| {
            tracing::error!(error = %err, "random source");
            Error::internal()
        })?;
        let at = self.now();
        self.store
            .insert_session(&SessionRecord {
                token_hash,
                operator_id: operator.id,
                created_at: at,
                last_seen_at: at,
            })
            .await
            .map_err(internal)?;
        Ok(LoginOutcome {
            token,
            must_change_password: operator.must_change_password,
        })
    }

    /// When a session ends unless used again: after the idle time, or the absolute lifetime.
    fn session_end(&self, session: &SessionRecord) -> Timestamp {
        Timestamp(
            (session.last_seen_at.0 + self.config.session_idle_ms)
                .min(session.created_at.0 + self.config.session_absolute_ms),
        )
    }

    /// The stored session behind a token hash and its operator, if the session is still
    /// valid; an ended one is removed.
    async fn live_session(
        &self,
        token_hash: &str,
    ) -> Result<Option<(SessionRecord, OperatorRecord)>, Error> {
        let Some((session, operator)) = self.store.session(token_hash).await.map_err(internal)?
        else {
            return Ok(None);
        };
        if self.now() >= self.session_end(&session) || operator.disabled {
            self.store
                .delete_session(token_hash)
                .await
                .map_err(internal)?;
            return Ok(None);
        }
        Ok(Some((session, operator)))
    }

    /// When the session behind a token hash ends if it is not used before, or `None` if it
    /// has ended (logout, expiry, a password change, a disabled operator).
    pub async fn session_ends_at(&self, token_hash: &str) -> Result<Option<Timestamp>, Error> {
        match self.live_session(token_hash).await? {
            Some((session, _)) => Ok(Some(self.session_end(&session))),
            // A stream opened with a personal access token lives as long as the token.
            None => self.access_token_recheck_at(token_hash).await,
        }
    }

    /// The session behind a token, if it is valid and unexpired; expired sessions are removed.
    pub async fn authenticate(&self, token: &str) -> Result<Session, Error> {
        let token_hash = auth::token_hash(token);
        let Some((mut session, operator)) = self.live_session(&token_hash).await? else {
            return Err(Error::new(
                ErrorCode::Unauthorized,
                "Your session has ended. Please log in.",
            ));
        };
        let at = self.now();
        // Often enough that a session in use never idles out between two marks.
        let touch_every = TOUCH_EVERY_MS.min(self.config.session_idle_ms / 4);
        if at.millis_since(session.last_seen_at) > touch_every {
            self.store
                .touch_session(&token_hash, at)
                .await
                .map_err(internal)?;
            session.last_seen_at = at;
        }
        Ok(Session {
            expires_at: self.session_end(&session),
            token_hash,
            operator,
            ip: None,
        })
    }

    /// Changes the password after checking the current one; every other session ends.
    pub async fn change_password(
        &self,
        session: &Session,
        current: &str,
        new: &str,
    ) -> Result<(), Error> {
        let phc = session.operator.password_hash.clone();
        let current_owned = current.to_owned();
        if !self
            .hashing(move || auth::verify_password(&current_owned, &phc))
            .await?
        {
            return Err(Error::new(
                ErrorCode::InvalidCredentials,
                "The current password is wrong.",
            ));
        }
        let length = new.chars().count();
        if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&length) {
            return Err(Error::new(
                ErrorCode::WeakPassword,
                format!(
                    "Choose a password of {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters."
                ),
            ));
        }
        if new == DEFAULT_PASSWORD || new == current {
            return Err(Error::new(
                ErrorCode::WeakPassword,
                "Choose a password other than the default or the current one.",
            ));
        }
        let new_owned = new.to_owned();
        let hash = self
            .hashing(move || auth::hash_password(&new_owned))
            .await?
            .map_err(|err| {
                tracing::error!(error = %err, "password hashing");
                Error::internal()
            })?;
        self.store
            .set_password(
                session.operator.id,
                &hash,
                false,
                Some(&session.token_hash),
                self.now(),
            )
            .await
            .map_err(internal)?;
        self.record(session, "change_password", None, None).await;
        // The other sessions were ended with the old password: their open streams end now
        // too (this session's reconnect at once).
        self.revoke(session.operator.id);
        Ok(())
    }

    /// Ends a session.
    pub async fn logout(&self, session: &Session) -> Result<(), Error> {
        self.store
            .delete_session(&session.token_hash)
            .await
            .map_err(internal)?;
        self.record(session, "logout", None, None).await;
        // Its open streams end now (on every node); the operator's other sessions, if any,
        // reconnect at once with their own still-valid cookies.
        self.revoke(session.operator.id);
        Ok(())
    }
}

/// A valid argon2id hash of a random string nobody knows, verified against when the email is
/// unknown so that a failed login takes the same time either way.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c3dpdGNoYm9hcmRkdW1teQ$\
    x9Z5sE5n1qkq0mA9sVwK3yQXWmK1pZl3x8H7bXgM4nE";
