//! The console's notice line: why the last action failed (e.g. "already taken"), until
//! dismissed.

use leptos::prelude::*;

use crate::state::Console;

/// Shows `Console::notice` while there is one.
#[component]
pub fn Notice() -> impl IntoView {
    let console = expect_context::<Console>();
    move || {
        console.notice.get().map(|notice| {
            view! {
                <div class="notice" role="alert" data-testid="notice">
                    <span>{notice}</span>
                    <button class="link" on:click=move |_| console.notice.set(None)>"Dismiss"</button>
                </div>
            }
        })
    }
}
