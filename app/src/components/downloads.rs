//! A chat's downloads (O22): the transcript as text or PDF, with private notes only when the
//! operator ticks "With private notes" (the server leaves them out otherwise).

use domain::ChatId;
use leptos::prelude::*;

/// The two links and the notes switch; the test ids tell the places apart.
#[component]
pub fn Downloads(
    chat: ChatId,
    text_testid: &'static str,
    pdf_testid: &'static str,
    notes_testid: &'static str,
) -> impl IntoView {
    let notes = RwSignal::new(false);
    let href = move |extension: &str| {
        format!(
            "/api/console/chats/{chat}/transcript{extension}{}",
            if notes.get() { "?notes=true" } else { "" }
        )
    };
    view! {
        <a class="button" data-testid=text_testid title="Download this chat as a text file" href=move || href("") download="">
            "Download"
        </a>
        <a class="button" data-testid=pdf_testid title="Download this chat as a PDF document" href=move || href(".pdf") download="">
            "PDF"
        </a>
        <label class="notes-switch">
            <input type="checkbox" data-testid=notes_testid on:change=move |ev| notes.set(event_target_checked(&ev)) />
            " With private notes"
        </label>
    }
}
