//! Rate limits of the public visitor API: each kind of call has a budget per client address
//! and per visitor token, refilled over time (GCRA, from `governor`). A call over budget is
//! answered `429 rate_limited` with `Retry-After` before its body is read or the database is
//! touched, so a flood from one visitor costs little and leaves the others' calls alone.
//!
//! The budgets live in this process: they bound what one node does for one client, which is
//! what protects it. Facts of the product never depend on them.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::{ApiError, AppState, ClientAddress};

/// The kinds of visitor calls, each with its own budgets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Call {
    /// `POST /visitors`.
    NewVisitor,
    /// `POST /visitor/chats`.
    StartChat,
    /// Messages and ending a chat.
    Message,
    /// Typing signals.
    Typing,
    /// Page views.
    PageView,
    /// Everything read: config, the visitor, the event stream.
    Read,
}

const CALLS: [Call; 6] = [
    Call::NewVisitor,
    Call::StartChat,
    Call::Message,
    Call::Typing,
    Call::PageView,
    Call::Read,
];

impl Call {
    fn of(method: &Method, path: &str) -> Self {
        let path = path.trim_end_matches('/');
        if method != Method::POST {
            return Self::Read;
        }
        if path.ends_with("/visitors") {
            Self::NewVisitor
        } else if path.ends_with("/visitor/chats") || path.ends_with("/visitor/messages") {
            Self::StartChat
        } else if path.ends_with("/typing") {
            Self::Typing
        } else if path.ends_with("/visitor/page") {
            Self::PageView
        } else {
            Self::Message
        }
    }

    /// (burst, one more every…) per address, and per token (`None`: not limited by token).
    fn budgets(self) -> (Budget, Option<Budget>) {
        let budget = |burst, millis| Budget {
            burst,
            every: Duration::from_millis(millis),
        };
        match self {
            // A page load makes one; a shared office address makes many.
            Self::NewVisitor => (budget(60, 1_000), None),
            Self::StartChat => (budget(60, 1_000), Some(budget(5, 20_000))),
            // A visitor's queued messages are sent together when the connection returns.
            Self::Message => (budget(300, 50), Some(budget(30, 500))),
            Self::Typing => (budget(300, 50), Some(budget(20, 250))),
            Self::PageView => (budget(300, 100), Some(budget(20, 1_000))),
            Self::Read => (budget(300, 50), Some(budget(60, 500))),
        }
    }
}

/// A budget: this many calls at once, then one more every `every`.
#[derive(Clone, Copy, Debug)]
struct Budget {
    burst: u32,
    every: Duration,
}

impl Budget {
    fn quota(self) -> Option<Quota> {
        Some(Quota::with_period(self.every)?.allow_burst(NonZeroU32::new(self.burst)?))
    }
}

/// Longest token kept as a key; longer ones are not tokens and fail authentication anyway.
const MAX_TOKEN_KEY: usize = 128;
/// How often keys that have refilled completely are forgotten, bounding memory.
const FORGET_EVERY: Duration = Duration::from_secs(60);

/// The budgets of every kind of call, by address and by token.
#[derive(Debug)]
pub struct VisitorLimits {
    by_address: Vec<(Call, DefaultKeyedRateLimiter<IpAddr>)>,
    by_token: Vec<(Call, DefaultKeyedRateLimiter<String>)>,
    /// Whether the budgets apply (off for load tests that play many visitors from one
    /// machine at machine speed).
    on: bool,
}

impl VisitorLimits {
    /// The budgets; `on: false` lets every call through.
    pub fn new(on: bool) -> Arc<Self> {
        let mut by_address = Vec::new();
        let mut by_token = Vec::new();
        for call in CALLS {
            let (address, token) = call.budgets();
            if let Some(quota) = address.quota() {
                by_address.push((call, RateLimiter::dashmap(quota)));
            }
            if let Some(quota) = token.and_then(Budget::quota) {
                by_token.push((call, RateLimiter::dashmap(quota)));
            }
        }
        let limits = Arc::new(Self {
            by_address,
            by_token,
            on,
        });
        let weak = Arc::downgrade(&limits);
        // Only inside a runtime (the server always is); keys are then forgotten once full.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let mut tick = tokio::time::interval(FORGET_EVERY);
                loop {
                    tick.tick().await;
                    let Some(limits) = weak.upgrade() else { return };
                    limits.forget_idle();
                }
            });
        }
        limits
    }

    fn forget_idle(&self) {
        for (_, limiter) in &self.by_address {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        for (_, limiter) in &self.by_token {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// Takes one call from the budgets; `Err(seconds to wait)` when one is spent.
    fn take(&self, call: Call, address: IpAddr, token: Option<&str>) -> Result<(), u64> {
        if !self.on {
            return Ok(());
        }
        let clock = DefaultClock::default();
        let wait = |outcome: governor::NotUntil<_>| {
            let wait = outcome.wait_time_from(clock.now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        };
        // The token's budget first: a call it refuses takes nothing from its address, so a
        // flooding visitor does not spend the budget of others behind the same address.
        if let Some(token) = token.filter(|t| t.len() <= MAX_TOKEN_KEY)
            && let Some((_, limiter)) = self.by_token.iter().find(|(c, _)| *c == call)
        {
            limiter.check_key(&token.to_owned()).map_err(wait)?;
        }
        if let Some((_, limiter)) = self.by_address.iter().find(|(c, _)| *c == call) {
            limiter.check_key(&address).map_err(wait)?;
        }
        Ok(())
    }
}

/// Answers `429 rate_limited` to a visitor call over its budget, before anything else runs.
pub async fn visitor_limits(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() == Method::OPTIONS {
        return next.run(request).await;
    }
    let call = Call::of(request.method(), request.uri().path());
    let address = request
        .extensions()
        .get::<ClientAddress>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |client| client.0);
    let token = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match state.limits.take(call, address, token) {
        Ok(()) => next.run(request).await,
        Err(seconds) => ApiError(domain::Error::rate_limited(
            seconds,
            "Too many requests. Please slow down.",
        ))
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_told_apart_by_method_and_path() {
        let post = Method::POST;
        assert_eq!(Call::of(&post, "/visitors"), Call::NewVisitor);
        assert_eq!(Call::of(&post, "/api/v1/visitor/chats"), Call::StartChat);
        assert_eq!(Call::of(&post, "/api/v1/visitor/messages"), Call::StartChat);
        assert_eq!(Call::of(&post, "/visitor/chats/x/messages"), Call::Message);
        assert_eq!(Call::of(&post, "/visitor/chats/x/end"), Call::Message);
        assert_eq!(Call::of(&post, "/visitor/chats/x/typing"), Call::Typing);
        assert_eq!(Call::of(&post, "/visitor/page"), Call::PageView);
        assert_eq!(Call::of(&Method::GET, "/visitor/events"), Call::Read);
    }

    #[tokio::test]
    async fn a_spent_token_leaves_other_tokens_and_kinds_alone() {
        let limits = VisitorLimits::new(true);
        let here = IpAddr::from([127, 0, 0, 1]);
        for _ in 0..30 {
            assert_eq!(limits.take(Call::Message, here, Some("a")), Ok(()));
        }
        let wait = limits.take(Call::Message, here, Some("a"));
        assert_eq!(wait, Err(1));
        assert_eq!(limits.take(Call::Message, here, Some("b")), Ok(()));
        assert_eq!(limits.take(Call::Typing, here, Some("a")), Ok(()));
    }

    #[tokio::test]
    async fn an_address_budget_holds_across_tokens_and_nothing_holds_when_turned_off() {
        let on = VisitorLimits::new(true);
        let off = VisitorLimits::new(false);
        let here = IpAddr::from([10, 0, 0, 7]);
        for _ in 0..60 {
            assert_eq!(on.take(Call::NewVisitor, here, None), Ok(()));
        }
        assert!(on.take(Call::NewVisitor, here, None).is_err());
        assert_eq!(
            on.take(Call::NewVisitor, IpAddr::from([10, 0, 0, 8]), None),
            Ok(())
        );
        for _ in 0..100 {
            assert_eq!(off.take(Call::NewVisitor, here, None), Ok(()));
            assert_eq!(off.take(Call::Message, here, Some("a")), Ok(()));
        }
    }
}
