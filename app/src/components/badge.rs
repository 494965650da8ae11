//! A notification badge: a number in a coloured circle, hidden at zero.

use leptos::prelude::*;

/// Shows `count` when it is above zero.
#[component]
pub fn Badge(
    /// The number to show.
    #[prop(into)]
    count: Signal<usize>,
    /// Test id of the badge.
    testid: &'static str,
) -> impl IntoView {
    move || {
        let count = count.get();
        (count > 0).then(|| {
            view! {
                <span class="badge" data-testid=testid aria-label=format!("{count} new")>
                    {count}
                </span>
            }
        })
    }
}
