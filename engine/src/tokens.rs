//! Personal access tokens (P4) and what the operator API adds to the console's services: a
//! script or an integration acts as its operator with a token instead of a session cookie,
//! through the very same engine calls. A token lives until it is revoked; revoking ends the
//! streams opened with it at once.

use domain::console::{OnlineVisitor, Role};
use domain::token::{AccessToken, MAX_TOKENS, NewAccessToken, TOKEN_PREFIX, token_name};
use domain::{AccessTokenId, Error, ErrorCode};
use uuid::Uuid;

use crate::collab::visitor_info;
use crate::operators::Session;
use crate::store::StoreError;
use crate::{Engine, auth, internal};

/// A token is marked as used at most this often, to spare the writer (milliseconds).
const TOUCH_EVERY_MS: i64 = 60_000;
/// A stream opened with a token looks at the token again this long after (it is revoked on
/// every node at once, so this only bounds a lost revocation; milliseconds).
const RECHECK_MS: i64 = 60_000;
/// Most visitors one listing answers.
const MOST_VISITORS: i64 = 1_000;

fn unknown_token() -> Error {
    Error::new(
        ErrorCode::Unauthorized,
        "This access token is unknown or was revoked.",
    )
}

impl Engine {
    /// Makes a token for the caller; its secret is in the answer and nowhere else.
    pub async fn create_access_token(
        &self,
        session: &Session,
        name: &str,
    ) -> Result<NewAccessToken, Error> {
        session.require_ready()?;
        let name = token_name(name)?;
        let me = session.operator.id;
        let held = self.store.access_tokens(me).await.map_err(internal)?;
        if held.len() >= MAX_TOKENS {
            return Err(Error::new(
                ErrorCode::InvalidField,
                format!("You hold {MAX_TOKENS} tokens already; revoke one first."),
            ));
        }
        let (digits, _) = auth::new_token().map_err(|err| {
            tracing::error!(error = %err, "no randomness for an access token");
            Error::internal()
        })?;
        let secret = format!("{TOKEN_PREFIX}{digits}");
        let token = AccessToken {
            id: AccessTokenId(Uuid::now_v7()),
            name,
            created_at: self.now(),
            last_used_at: None,
        };
        self.store
            .insert_access_token(me, &token, &auth::token_hash(&secret))
            .await
            .map_err(internal)?;
        self.record(session, "create_token", None, Some(token.name.clone()))
            .await;
        Ok(NewAccessToken { token, secret })
    }

    /// Makes a token for the operator with this email, from the command line (whoever runs
    /// it holds the database already).
    pub async fn create_access_token_for(
        &self,
        email: &str,
        name: &str,
    ) -> Result<NewAccessToken, Error> {
        let operator = self
            .store
            .operator_by_email(email.trim())
            .await
            .map_err(internal)?
            .filter(|operator| !operator.disabled)
            .ok_or_else(|| Error::new(ErrorCode::NotFound, "No such operator account."))?;
        let session = Session {
            token_hash: String::new(),
            expires_at: self.now(),
            ip: None,
            operator,
        };
        self.create_access_token(&session, name).await
    }

    /// The caller's tokens, newest first.
    pub async fn access_tokens(&self, session: &Session) -> Result<Vec<AccessToken>, Error> {
        session.require_ready()?;
        self.store
            .access_tokens(session.operator.id)
            .await
            .map_err(internal)
    }

    /// Revokes one of the caller's tokens: it is refused from now on, and the streams opened
    /// with it end now, on every node.
    pub async fn revoke_access_token(
        &self,
        session: &Session,
        id: AccessTokenId,
    ) -> Result<(), Error> {
        session.require_ready()?;
        let me = session.operator.id;
        let name = self
            .store
            .access_tokens(me)
            .await
            .map_err(internal)?
            .into_iter()
            .find(|token| token.id == id)
            .map(|token| token.name);
        match self.store.delete_access_token(me, id).await {
            Ok(()) => {}
            Err(StoreError::NotFound) => {
                return Err(Error::new(ErrorCode::NotFound, "No such token."));
            }
            Err(err) => return Err(internal(err)),
        }
        self.record(session, "revoke_token", None, name).await;
        // Streams are held by operator, not by credential: the operator's console streams end
        // too and reconnect at once with their still-valid cookies.
        self.revoke(me);
        Ok(())
    }

    /// The operator behind a personal access token, as a session the services take.
    pub async fn authenticate_access_token(&self, secret: &str) -> Result<Session, Error> {
        let token_hash = auth::token_hash(secret);
        let (token, operator) = self
            .store
            .access_token(&token_hash)
            .await
            .map_err(internal)?
            .ok_or_else(unknown_token)?;
        if operator.disabled {
            return Err(unknown_token());
        }
        let at = self.now();
        if token
            .last_used_at
            .is_none_or(|used| at.millis_since(used) > TOUCH_EVERY_MS)
        {
            self.store
                .touch_access_token(&token_hash, at)
                .await
                .map_err(internal)?;
        }
        Ok(Session {
            token_hash,
            operator,
            ip: None,
            expires_at: domain::Timestamp(at.0 + RECHECK_MS),
        })
    }

    /// Whether a token hash is a live access token's: when a stream opened with it should look
    /// again, or `None` once it is revoked (or its operator disabled).
    pub(crate) async fn access_token_recheck_at(
        &self,
        token_hash: &str,
    ) -> Result<Option<domain::Timestamp>, Error> {
        let live = self
            .store
            .access_token(token_hash)
            .await
            .map_err(internal)?
            .filter(|(_, operator)| !operator.disabled);
        Ok(live.map(|_| domain::Timestamp(self.now().0 + RECHECK_MS)))
    }

    /// The visitors on the site now (a page open within the configured time), most recent
    /// first.
    pub async fn online_visitors(&self, session: &Session) -> Result<Vec<OnlineVisitor>, Error> {
        session.require_role(Role::Operator)?;
        let since = self.on_site_since();
        let records = self
            .store
            .visitors_seen_since(since, MOST_VISITORS)
            .await
            .map_err(internal)?;
        Ok(records
            .into_iter()
            .map(|record| OnlineVisitor {
                id: record.id,
                info: visitor_info(record.name.clone().unwrap_or_default(), record),
            })
            .collect())
    }
}
