//! Reports (A7, supervisors and admins): for a date range and a channel, chats and missed
//! chats, waiting and first-response times (median and 90th percentile), durations and the
//! rating average, in all and per operator; the chart per day (SVG drawn by the server) and a
//! CSV export of the same figures.

use domain::report::{Figures, ReportQuery};
use domain::{ChannelId, Timestamp};
use leptos::prelude::*;

use crate::components::at_once::IntoAnyAtOnce;

use crate::api;
use crate::state::Console;

const DAY_MS: i64 = 86_400_000;

/// "1 min 05 s", "42 s", or "—".
fn span(ms: Option<i64>) -> String {
    match ms {
        None => "—".to_owned(),
        Some(ms) if ms < 60_000 => format!("{} s", (ms + 500) / 1000),
        Some(ms) => {
            let seconds = (ms + 500) / 1000;
            format!("{} min {:02} s", seconds / 60, seconds % 60)
        }
    }
}

fn day(at: Timestamp) -> String {
    at.utc_text().chars().take(10).collect()
}

/// The Reports page.
#[component]
pub fn ReportsPage() -> impl IntoView {
    let console = expect_context::<Console>();
    let today = {
        let now =
            console.now.get_untracked().0 + console.model.with_untracked(|m| m.clock_offset_ms);
        Timestamp(now - now.rem_euclid(DAY_MS))
    };
    let from = RwSignal::new(day(Timestamp(today.0 - 6 * DAY_MS)));
    let to = RwSignal::new(day(today));
    let channel = RwSignal::new(String::new());
    let asked = RwSignal::new(None::<ReportQuery>);
    let report = crate::json::resource(
        move || asked.get(),
        |query| async move {
            match query {
                Some(query) => api::load_report(query).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let show = move |ev: Option<leptos::ev::SubmitEvent>| {
        if let Some(ev) = ev {
            ev.prevent_default();
        }
        let start = Timestamp::from_utc_date(&from.get_untracked()).unwrap_or(today);
        let end = Timestamp::from_utc_date(&to.get_untracked()).unwrap_or(today);
        asked.set(Some(ReportQuery {
            from: start,
            to: Timestamp(end.0 + DAY_MS),
            channel: channel.get_untracked().parse::<ChannelId>().ok(),
        }));
    };
    show(None);
    let channels = move || crate::routes::history::channel_options(console);
    let field = |label: &'static str, testid: &'static str, value: RwSignal<String>| {
        view! {
            <label>
                {label}
                <input
                    type="date"
                    data-testid=testid
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                />
            </label>
        }
    };
    view! {
        <section class="page reports">
            <h1>"Reports"</h1>
            <form class="form report-form" data-testid="report-form" on:submit=move |ev| show(Some(ev))>
                {field("From", "report-from", from)}
                {field("To (included)", "report-to", to)}
                <label>
                    "Channel"
                    <select data-testid="report-channel" on:change=move |ev| channel.set(event_target_value(&ev))>
                        <option value="">"All chats"</option>
                        {channels}
                    </select>
                </label>
                <div>
                    <button type="submit" class="primary" data-testid="report-show">"Show"</button>
                </div>
            </form>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match report.await {
                        Ok(Some(report)) => {
                            let q = &report.query;
                            let params = format!(
                                "from={}&to={}&channel={}",
                                q.from.0,
                                q.to.0,
                                q.channel.map(|c| c.to_string()).unwrap_or_default()
                            );
                            let rows = std::iter::once(("All operators".to_owned(), report.total.clone()))
                                .chain(report.operators.iter().map(|o| (o.name.clone(), o.figures.clone())))
                                .map(|(name, f)| view! { <Row name figures=f /> })
                                .collect_view();
                            view! {
                                <p class="toolbar">
                                    <a class="button" data-testid="report-csv" href=format!("/api/console/reports.csv?{params}") download="">
                                        "Download CSV"
                                    </a>
                                </p>
                                <img
                                    class="report-chart"
                                    data-testid="report-chart"
                                    src=format!("/api/console/reports/chart.svg?{params}")
                                    alt=format!("Chats per day: {} in all, {} missed", report.total.chats, report.total.missed)
                                />
                                <table class="report" data-testid="report-table">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Operator"</th>
                                            <th scope="col">"Chats"</th>
                                            <th scope="col">"Missed"</th>
                                            <th scope="col">"Waiting (median / 90%)"</th>
                                            <th scope="col">"First response (median / 90%)"</th>
                                            <th scope="col">"Duration (median / 90%)"</th>
                                            <th scope="col">"Rating"</th>
                                        </tr>
                                    </thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            }.into_any_at_once()
                        }
                        Ok(None) => ().into_any_at_once(),
                        Err(err) => view! { <p class="error" role="alert" data-testid="report-error">{err.message().to_owned()}</p> }.into_any_at_once(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// One row: all chats, or one operator's.
#[component]
fn Row(name: String, figures: Figures) -> impl IntoView {
    let pair = |s: domain::report::Spread| format!("{} / {}", span(s.median_ms), span(s.p90_ms));
    let rating = figures
        .rating_average_x100
        .map(|x| format!("{}.{:02} ({})", x / 100, x % 100, figures.ratings))
        .unwrap_or_else(|| "—".to_owned());
    view! {
        <tr data-testid="report-row">
            <th scope="row">{name}</th>
            <td>{figures.chats}</td>
            <td>{figures.missed}</td>
            <td>{pair(figures.waiting)}</td>
            <td>{pair(figures.first_response)}</td>
            <td>{pair(figures.duration)}</td>
            <td>{rating}</td>
        </tr>
    }
}
