//! Tells the operator, in words and to screen readers, that the live connection was cut and
//! is being restored, and then that it is back: a stale console must never look current.

use leptos::prelude::*;

use crate::components::at_once::IntoAnyAtOnce;

use crate::state::{Connection, Console};

/// The banner: nothing while connected.
#[component]
pub fn ConnectionBanner() -> impl IntoView {
    let console = expect_context::<Console>();
    view! {
        <div class="connection" data-testid="connection" role="status" aria-live="polite">
            {move || match console.connection.get() {
                Connection::Connecting | Connection::Connected => None,
                Connection::Reconnecting => Some(view! {
                    <p class="banner reconnecting" data-testid="reconnecting">
                        "Connection lost. Reconnecting… What you see may be out of date."
                    </p>
                }.into_any_at_once()),
                Connection::Restored => Some(view! {
                    <p class="banner restored" data-testid="restored">"Connected again."</p>
                }.into_any_at_once()),
            }}
        </div>
    }
}
