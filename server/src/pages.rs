//! Plain pages around the console: the login gate in front of console pages, the demo host page
//! that embeds the bubble exactly as a customer would, and the JSON 404.

use axum::Router;
use axum::extract::{Query, Request, State};
use axum::http::header::{CONTENT_SECURITY_POLICY, COOKIE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use domain::ErrorCode;

use crate::{ApiError, AppState};

/// Where the bubble settings page previews unsaved settings on the demo page (admins only).
pub const BUBBLE_PREVIEW: &str = "/bubble-preview";

/// The plain pages; the demo site only when `demo` (`--demo`, which `cargo xtask run` sets).
pub fn routes(demo: bool) -> Router<AppState> {
    let router = Router::new()
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route(BUBBLE_PREVIEW, get(bubble_preview));
    if demo {
        router
            .route("/demo", get(demo_home))
            .route("/demo/pricing", get(demo_pricing))
    } else {
        router
    }
}

/// Unknown paths outside the console, and missing asset files.
pub async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "Nothing is at this address.")
}

/// A known address called with a method it does not answer.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        "This address does not answer that method.",
    )
}

enum Gate {
    Login,
    Password,
    Console,
}

/// Sends visitors of console pages to the login without a session, and to the password change
/// while the default password is in use; sends logged-in operators away from the login page.
pub async fn console_gate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let gate = match request.uri().path() {
        "/login" => Gate::Login,
        "/password" => Gate::Password,
        path if app::is_console_page(path) => Gate::Console,
        _ => return next.run(request).await,
    };
    let session = match app::api::ssr::cookie_session(
        &state.engine,
        request.headers(),
        request.extensions(),
        state.settings.secure_cookies,
    )
    .await
    {
        Ok(session) => session,
        Err(err) => return ApiError(err).into_response(),
    };
    let must_change = session.as_ref().map(|s| s.operator.must_change_password);
    let redirect = match (gate, must_change) {
        (Gate::Login, Some(true)) | (Gate::Console, Some(true)) => Some("/password"),
        (Gate::Login, Some(false)) | (Gate::Password, Some(false)) => Some("/"),
        (Gate::Password, None) | (Gate::Console, None) => Some("/login"),
        (Gate::Login, None) | (Gate::Password, Some(true)) | (Gate::Console, Some(false)) => None,
    };
    match redirect {
        Some(to) => Redirect::to(to).into_response(),
        None => next.run(request).await,
    }
}

/// The origin the page was asked from, as the front door settled it.
fn origin(request: &Request) -> String {
    crate::front::request_origin(request)
        .unwrap_or("http://127.0.0.1:3000")
        .to_owned()
}

/// Bubble settings a preview passes in the query (`/demo?title=…&color=…`), handed to the
/// snippet as `data-*` overrides, so the snippet generator previews unsaved settings with the
/// real bubble.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Preview {
    title: Option<String>,
    greeting: Option<String>,
    color: Option<String>,
    launcher_label: Option<String>,
    channel: Option<String>,
}

impl Preview {
    fn attributes(&self) -> String {
        [
            ("data-title", &self.title),
            ("data-greeting", &self.greeting),
            ("data-color", &self.color),
            ("data-launcher-label", &self.launcher_label),
            ("data-channel", &self.channel),
        ]
        .into_iter()
        .filter_map(|(name, value)| {
            let value = value.as_deref()?.trim();
            (!value.is_empty()).then(|| format!(" {name}=\"{}\"", escape_attribute(value)))
        })
        .collect()
    }
}

fn escape_attribute(value: &str) -> String {
    value
        .chars()
        .take(300)
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '"' => "&quot;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            c if c.is_control() => " ".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

async fn demo_home(Query(preview): Query<Preview>, request: Request) -> Response {
    demo_page(
        &origin(&request),
        &preview,
        "Acme Widgets",
        "Widgets for every workshop. Questions? Our team is one click away — try the chat bubble \
         in the corner.",
    )
}

async fn demo_pricing(Query(preview): Query<Preview>, request: Request) -> Response {
    demo_page(
        &origin(&request),
        &preview,
        "Pricing",
        "Starter €9, Pro €29, Enterprise: ask us in the chat. Your conversation follows you from \
         page to page.",
    )
}

/// The demo page for the bubble settings' preview, shown to admins whether or not the demo
/// site is served.
async fn bubble_preview(
    State(state): State<AppState>,
    Query(preview): Query<Preview>,
    request: Request,
) -> Response {
    let token = app::api::ssr::token_from_cookies(
        request.headers().get(COOKIE),
        state.settings.secure_cookies,
    );
    let admin = match token {
        Some(token) => state
            .engine
            .authenticate(&token)
            .await
            .is_ok_and(|session| session.require_role(domain::console::Role::Admin).is_ok()),
        None => false,
    };
    if !admin {
        return not_found().await.into_response();
    }
    demo_page(
        &origin(&request),
        &preview,
        "Acme Widgets",
        "A preview of the chat bubble with the settings being edited.",
    )
}

/// The Content-Security-Policy a customer site needs for the bubble (README, "Embedding under
/// a Content-Security-Policy"), as strict as a careful site would set it: the demo site runs
/// under it so that every bubble test shows the bubble works there.
fn customer_policy(switchboard: &str, nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src {switchboard}; \
         style-src {switchboard} 'nonce-{nonce}'; connect-src {switchboard}; img-src 'self'; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'self'"
    )
}

/// A customer's page with the snippet from the integration guide, nothing else of ours, served
/// under a strict Content-Security-Policy.
fn demo_page(origin: &str, preview: &Preview, title: &str, text: &str) -> Response {
    let overrides = preview.attributes();
    let nonce = crate::console::new_nonce();
    let origin = escape_attribute(origin);
    let page = Html(format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — Switchboard demo site</title>
<style nonce="{nonce}">
body {{ font-family: system-ui, sans-serif; margin: 0; color: #1f2937; background: #f8fafc; }}
header {{ background: #111827; color: #fff; padding: 1rem 2rem; display: flex; gap: 2rem; align-items: center; }}
header a {{ color: #cbd5e1; text-decoration: none; }}
main {{ max-width: 48rem; margin: 3rem auto; padding: 0 2rem; line-height: 1.6; }}
</style>
</head>
<body>
<header><strong>Acme Widgets</strong><a href="/demo">Home</a><a href="/demo/pricing">Pricing</a></header>
<main>
<h1>{title}</h1>
<p>{text}</p>
</main>
<!-- Switchboard chat bubble -->
<script src="{origin}/widget/loader.js" async data-switchboard data-field-plan="Pro"{overrides}></script>
</body>
</html>
"#
    ));
    let mut response = page.into_response();
    if let Ok(policy) = HeaderValue::from_str(&customer_policy(&origin, &nonce)) {
        response
            .headers_mut()
            .insert(CONTENT_SECURITY_POLICY, policy);
    }
    response
}
