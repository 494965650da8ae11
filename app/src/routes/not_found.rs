//! The page for unknown console paths.

use leptos::prelude::*;

/// Not found.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="centered">
            <div class="card">
                <h1>"Page not found"</h1>
                <p><a href="/">"Back to the dashboard"</a></p>
            </div>
        </main>
    }
}
