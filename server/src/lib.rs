//! The Switchboard server: one axum router serving the console (SSR + hydration), its server
//! functions and event stream, the public visitor API and its stream, the bubble's assets and
//! a demo host page.
//!
//! [`router`] builds the whole app from an [`AppState`]; [`run`] serves it until a shutdown
//! signal, ending open event streams so the shutdown completes. Tests start the real thing on
//! 127.0.0.1 port 0 through these two functions.
#![recursion_limit = "256"]

pub mod assets;
pub mod config;
mod console;
mod error;
pub mod front;
pub mod limits;
pub mod metrics;
pub mod openapi;
mod operator_api;
mod pages;
mod sse;
mod visitor_api;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::http::{HeaderValue, header};
use engine::Engine;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::set_header::SetResponseHeaderLayer;

pub use app::api::ssr::{ClientAddress, CspNonce, RequestOrigin};
pub use error::ApiError;
pub use front::PublicUrl;

/// Settings of the HTTP layer.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// Origins (scheme://host[:port]) of customer sites allowed to call the visitor API.
    pub allowed_origins: Vec<String>,
    /// Mark the session cookie `Secure` (served over TLS).
    pub secure_cookies: bool,
    /// Serve the site (console bundle, bubble, styles) from this folder, read at start,
    /// instead of the copy built into the binary.
    pub site_root: Option<PathBuf>,
    /// The address the server is reached at from outside: its host is answered besides
    /// loopback and IP addresses, and its scheme is the origin's.
    pub public_url: Option<PublicUrl>,
    /// Believe a reverse proxy's `X-Forwarded-For` and `X-Forwarded-Proto`.
    pub trust_proxy: bool,
    /// Serve the demo site (`/demo`) that embeds the bubble.
    pub demo: bool,
    /// Turn the visitor API's rate limits off (load tests that play many visitors from one
    /// machine at machine speed). Failed logins are limited regardless.
    pub no_rate_limits: bool,
}

/// Everything a request handler may need. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The service layer; every handler calls it and nothing else.
    pub engine: Engine,
    /// Leptos' rendering options (site root, bundle name).
    pub leptos_options: LeptosOptions,
    /// HTTP settings.
    pub settings: Arc<Settings>,
    /// Flipped to `true` when the server shuts down, ending open event streams.
    pub shutdown: Arc<watch::Sender<bool>>,
    /// The visitor API's rate limits.
    pub limits: Arc<limits::VisitorLimits>,
    /// What `/metrics` reports from the HTTP layer.
    pub metrics: metrics::Shared,
    /// The site's static files.
    pub site: Arc<assets::Site>,
}

impl AppState {
    /// State for an engine, Leptos options and settings.
    pub fn new(engine: Engine, mut leptos_options: LeptosOptions, settings: Settings) -> Self {
        let site = match &settings.site_root {
            Some(root) => assets::Site::from_dir(root).unwrap_or_else(|err| {
                tracing::error!(error = %err, root = %root.display(), "cannot read the site");
                assets::Site::default()
            }),
            None => assets::Site::embedded().unwrap_or_default(),
        };
        if site.is_empty() {
            tracing::warn!(
                "no site files: the console and bubble will not load (build with `cargo xtask \
                 build`, or pass --site-root)"
            );
        }
        // The console page names its bundle under this build's version, cached for good.
        if let Some(version) = site.version("pkg")
            && &*leptos_options.site_pkg_dir == "pkg"
        {
            leptos_options.site_pkg_dir = format!("pkg/{version}").into();
        }
        Self {
            engine,
            site: Arc::new(site),
            leptos_options,
            limits: limits::VisitorLimits::new(!settings.no_rate_limits),
            settings: Arc::new(settings),
            shutdown: Arc::new(watch::channel(false).0),
            metrics: Arc::default(),
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let console_context = {
        let context = app::api::ssr::ConsoleContext {
            engine: state.engine.clone(),
            secure_cookies: state.settings.secure_cookies,
        };
        move || provide_context(context.clone())
    };
    let routes = generate_route_list(app::App);
    Router::new()
        .route("/healthz", axum::routing::get(metrics::healthz))
        .route("/readyz", axum::routing::get(metrics::readyz))
        .route("/metrics", axum::routing::get(metrics::metrics))
        .nest(
            "/api/v1",
            visitor_api::routes(state.clone()).merge(operator_api::routes()),
        )
        .merge(console::routes())
        .merge(pages::routes(state.settings.demo))
        .route("/pkg/{*path}", axum::routing::get(assets::console_file))
        .route("/widget/{*path}", axum::routing::get(assets::bubble_file))
        .leptos_routes_with_context(&state, routes, console_context, {
            let options = state.leptos_options.clone();
            move || app::shell(options.clone())
        })
        .fallback(pages::not_found)
        .method_not_allowed_fallback(pages::method_not_allowed)
        .layer(axum::middleware::from_fn(console::server_fn_status))
        .layer(axum::middleware::from_fn(console::same_origin_posts))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            pages::console_gate,
        ))
        // Outside the gate, so its redirects carry them too.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            console::protective_headers,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::count_requests,
        ))
        // First of all: an unknown host is refused before anything else runs.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            front::front_door,
        ))
        .with_state(state)
}

/// Serves the app on `listener` until `shutdown` completes, then ends every open event stream
/// and waits for in-flight requests.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let trigger = state.shutdown.clone();
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            trigger.send_replace(true);
        })
        .await
}

#[cfg(test)]
mod tests {
    /// The router's console routes are exactly the pages of the one table (besides the login,
    /// the password change and chat windows), so a page cannot be routed yet ungated, or listed
    /// yet unrouted.
    #[test]
    fn the_router_serves_exactly_the_console_pages() {
        let mut routed: Vec<String> = leptos_axum::generate_route_list(app::App)
            .iter()
            .map(|route| route.path().to_owned())
            .filter(|path| !matches!(path.as_str(), "/login" | "/password"))
            .filter(|path| !path.starts_with(app::CHAT_WINDOW_PREFIX))
            .collect();
        routed.sort();
        routed.dedup();
        let mut pages: Vec<String> = app::pages::PAGES
            .iter()
            .map(|page| page.path.to_owned())
            .collect();
        pages.sort();
        assert_eq!(routed, pages);
    }
}
