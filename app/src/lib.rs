//! The operator console: one Leptos app rendered on the server and hydrated in the browser.
//!
//! Pages live in `routes/`, shared pieces in `components/`, and the server functions the console
//! calls in `api/`. Server functions are thin: authenticate, call one engine service, return
//! its answer or its error. The live state of the console is `domain::console::ConsoleModel`,
//! kept in [`state::Console`] and fed by the console's event stream; what signals say (typing,
//! viewing, who is online) is kept in `presence`.
#![recursion_limit = "512"]

pub mod api;
#[cfg(feature = "hydrate")]
mod browser;
mod components;
pub mod error;
mod json;
mod outbox;
pub mod pages;
mod presence;
mod routes;
mod state;
#[cfg(feature = "hydrate")]
mod tabs;
mod voice;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{Lazy, path};

use crate::routes::lazy;

pub use error::ConsoleError;

/// Where a chat opens in a window of its own (`/window/<chat id>`).
pub const CHAT_WINDOW_PREFIX: &str = "/window/";

/// Whether a path is a console page (behind the login).
pub fn is_console_page(path: &str) -> bool {
    pages::find(path).is_some() || path.starts_with(CHAT_WINDOW_PREFIX)
}

/// Name of the cookie that carries the console session token.
pub const SESSION_COOKIE: &str = "switchboard_session";

/// The session cookie's name: behind TLS (`--secure-cookies`) with the `__Host-` prefix, which
/// browsers accept only from this very host, over HTTPS, for the whole site, so no sibling
/// subdomain can plant or overwrite it.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-switchboard_session"
    } else {
        SESSION_COOKIE
    }
}

/// Name of the cookie that remembers the dashboard's channel filter in this browser, so the
/// console loads (and streams) only what it lists.
pub const DASHBOARD_COOKIE: &str = "switchboard_dashboard";

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The page's scripts carry the nonce its Content-Security-Policy header names.
    #[cfg(feature = "ssr")]
    if let Some(nonce) = api::ssr::csp_nonce() {
        provide_context(leptos::nonce::Nonce::from_value(nonce));
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="data:," />
                // Under this build's content-hashed folder, as the bundle's scripts are.
                <link
                    rel="stylesheet"
                    id="switchboard"
                    href=format!("/{}/switchboard.css", options.site_pkg_dir)
                />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The console's routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="Switchboard" />
        <Router>
            <Routes fallback=routes::not_found::NotFound>
                <Route path=path!("/login") view={Lazy::<lazy::Login>::new()} />
                <Route path=path!("/password") view={Lazy::<lazy::ForcedPassword>::new()} />
                <Route path=path!("/window/:chat_id") view={Lazy::<lazy::ChatWindow>::new()} />
                <ParentRoute path=path!("") view=routes::layout::ConsoleLayout>
                    <Route path=path!("") view=routes::dashboard::DashboardPage />
                    <Route path=path!("chats") view={Lazy::<lazy::MyChats>::new()} />
                    <Route path=path!("visitors") view={Lazy::<lazy::Visitors>::new()} />
                    <Route path=path!("tickets") view={Lazy::<lazy::Tickets>::new()} />
                    <Route path=path!("history") view={Lazy::<lazy::History>::new()} />
                    <Route path=path!("reports") view={Lazy::<lazy::Reports>::new()} />
                    <Route path=path!("profile") view={Lazy::<lazy::Profile>::new()} />
                    <Route path=path!("canned") view={Lazy::<lazy::Canned>::new()} />
                    <Route path=path!("channels") view={Lazy::<lazy::Channels>::new()} />
                    <Route path=path!("admin/settings") view={Lazy::<lazy::AdminSettings>::new()} />
                    <Route path=path!("admin/operators") view={Lazy::<lazy::AdminOperators>::new()} />
                    <Route path=path!("admin/bubble") view={Lazy::<lazy::AdminBubble>::new()} />
                    <Route path=path!("admin/webhooks") view={Lazy::<lazy::AdminWebhooks>::new()} />
                    <Route path=path!("admin/mail") view={Lazy::<lazy::AdminMail>::new()} />
                    <Route path=path!("admin/visitors") view={Lazy::<lazy::AdminVisitors>::new()} />
                    <Route path=path!("admin/log") view={Lazy::<lazy::ActionLog>::new()} />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
