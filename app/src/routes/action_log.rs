//! The action log (supervisors and admins): who did what to which chat or account, when and
//! from where, newest first, filtered by operator, action, chat and a UTC time span, a page at
//! a time with "Older entries" appending the next. The server decides who may read it and
//! answers `forbidden` to anyone else; this page says so without asking when it already knows.
//!
//! The page loads in the browser once it has hydrated, so the server's render and the
//! browser's first render agree (filters and "Loading…").

use domain::admin::OperatorAccount;
use domain::log::{ACTIONS, ActionEntry, ActionFilter};
use domain::{ChatId, ErrorCode, OperatorId, Timestamp};
use leptos::prelude::*;

use crate::components::at_once::IntoAnyAtOnce;
use leptos::task::spawn_local;

use crate::api;
use crate::routes::admin_operators::is_admin;
use crate::state::Console;

/// The Action log page.
#[component]
pub fn ActionLogPage() -> impl IntoView {
    let console = expect_context::<Console>();
    let supervisor = move || reads_log(console);
    view! {
        <section class="page action-log">
            <h1>"Action log"</h1>
            <Show when=supervisor fallback=Forbidden>
                <ActionLog />
            </Show>
        </section>
    }
}

/// Whether the logged-in operator may read the action log (supervisors and admins; tracked):
/// the page and its link show only for them.
pub fn reads_log(console: Console) -> bool {
    console.me.with(|me| {
        me.as_ref()
            .is_some_and(|me| crate::pages::allows(me.role, "/admin/log"))
    })
}

#[component]
fn Forbidden() -> impl IntoView {
    view! {
        <p class="empty" data-testid="log-forbidden">
            "Only supervisors and admins can read the action log."
        </p>
    }
}

/// The filters as typed: select values and input texts (empty = no filter).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Fields {
    operator: String,
    action: String,
    chat: String,
    from: String,
    to: String,
}

impl Fields {
    /// The filter these fields ask for (its first page), or what is wrong with them.
    fn query(&self) -> Result<ActionFilter, String> {
        let operator = match self.operator.trim() {
            "" => None,
            id => Some(
                id.parse::<OperatorId>()
                    .map_err(|_| "Choose an operator from the list.".to_owned())?,
            ),
        };
        let chat = match self.chat.trim() {
            "" => None,
            id => Some(id.parse::<ChatId>().map_err(|_| {
                "The chat id is not a valid id: paste the whole id, such as \
                 0190a5e2-7c1d-7b3e-9f00-5a1b2c3d4e5f."
                    .to_owned()
            })?),
        };
        let span = |value: &str, which: &str| match value.trim() {
            "" => Ok(None),
            value => parse_datetime_local(value)
                .map(Some)
                .ok_or_else(|| format!("{which} is not a valid date and time.")),
        };
        let from = span(&self.from, "From")?.map(|span| span.start);
        let to = span(&self.to, "To")?.map(|span| span.end);
        if let (Some(from), Some(to)) = (from, to)
            && from >= to
        {
            return Err("From must be before To.".to_owned());
        }
        Ok(ActionFilter {
            operator,
            action: Some(self.action.trim().to_owned()).filter(|action| !action.is_empty()),
            chat,
            from: from.map(Timestamp),
            to: to.map(Timestamp),
            before: None,
        })
    }
}

/// Everything the log shows, shared by the filters, the table and "Older entries".
#[derive(Clone, Copy)]
struct Log {
    fields: RwSignal<Fields>,
    /// The filters the entries answer. "Older entries" pages back with these, not with
    /// fields changed since.
    applied: StoredValue<ActionFilter>,
    entries: RwSignal<Vec<ActionEntry>>,
    /// Where the next (older) page starts; `None` on the last page.
    next_before: RwSignal<Option<i64>>,
    /// A page is being loaded.
    loading: RwSignal<bool>,
    /// Why the filters or the last load failed.
    error: RwSignal<Option<String>>,
    /// The server refused: the role changed since the console loaded.
    forbidden: RwSignal<bool>,
    /// Every operator the loaded pages named, for the operator filter when the full list
    /// cannot be had (it is for admins only).
    seen: RwSignal<Vec<(OperatorId, String)>>,
    /// Every operator account, when the operator is an admin.
    accounts: RwSignal<Option<Vec<OperatorAccount>>>,
    /// Counts loads, so an answer overtaken by a newer load is dropped.
    generation: StoredValue<u64>,
}

impl Log {
    fn new() -> Self {
        Self {
            fields: RwSignal::new(Fields::default()),
            applied: StoredValue::new(ActionFilter::default()),
            entries: RwSignal::new(Vec::new()),
            next_before: RwSignal::new(None),
            loading: RwSignal::new(true),
            error: RwSignal::new(None),
            forbidden: RwSignal::new(false),
            seen: RwSignal::new(Vec::new()),
            accounts: RwSignal::new(None),
            generation: StoredValue::new(0),
        }
    }

    /// Loads the first page for the fields, or says what is wrong with them.
    fn apply(self) {
        match self.fields.with_untracked(Fields::query) {
            Ok(query) => {
                self.applied.set_value(query.clone());
                self.load(query, None);
            }
            Err(message) => self.error.set(Some(message)),
        }
    }

    /// Empties the filters and loads the newest entries.
    fn reset(self) {
        self.fields.set(Fields::default());
        self.apply();
    }

    /// Appends the next older page.
    fn older(self) {
        if let Some(before) = self.next_before.get_untracked() {
            self.load(self.applied.get_value(), Some(before));
        }
    }

    /// Loads a page: the first (`before: None`, replacing the entries) or an older one
    /// (appended).
    fn load(self, filter: ActionFilter, before: Option<i64>) {
        let generation = self.generation.get_value().wrapping_add(1);
        self.generation.set_value(generation);
        self.loading.set(true);
        self.error.set(None);
        spawn_local(async move {
            let answer = api::action_log(ActionFilter { before, ..filter }).await;
            // Overtaken by a newer load, or the page has been left.
            if self.generation.try_get_value() != Some(generation) {
                return;
            }
            self.loading.set(false);
            match answer {
                Ok(page) => {
                    self.seen.update(|seen| note_operators(seen, &page.entries));
                    if before.is_some() {
                        self.entries.update(|entries| entries.extend(page.entries));
                    } else {
                        self.entries.set(page.entries);
                    }
                    self.next_before.set(page.next_before);
                }
                Err(err) if err.code() == ErrorCode::Forbidden => self.forbidden.set(true),
                Err(err) => self.error.set(Some(err.message().to_owned())),
            }
        });
    }
}

/// The filters, the entries and "Older entries".
#[component]
fn ActionLog() -> impl IntoView {
    let console = expect_context::<Console>();
    let log = Log::new();
    // In the browser: the newest entries, and every operator for an admin's filter.
    Effect::new(move |_| {
        log.load(ActionFilter::default(), None);
        if untrack(|| is_admin(console)) {
            spawn_local(async move {
                // Without the list (the role changed since the console loaded), the filter
                // offers the operators the entries name.
                if let Ok(accounts) = api::list_operators().await {
                    log.accounts.set(Some(accounts));
                }
            });
        }
    });
    view! {
        <Show when=move || !log.forbidden.get() fallback=Forbidden>
            <Filters log />
            {move || log.error.get().map(|message| view! { <p class="error" role="alert" data-testid="log-error">{message}</p> })}
            <Entries log />
        </Show>
    }
}

#[component]
fn Filters(log: Log) -> impl IntoView {
    // Until the page runs in the browser, Apply would submit a plain form.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let field = move |read: fn(&Fields) -> &String| move || log.fields.with(|f| read(f).clone());
    let operators = move || {
        let choices = log.accounts.with(|accounts| {
            log.seen
                .with(|seen| operator_choices(accounts.as_deref(), seen))
        });
        choices
            .into_iter()
            .map(|(id, label)| {
                let value = id.to_string();
                let selected = {
                    let value = value.clone();
                    move || log.fields.with(|f| f.operator == value)
                };
                view! { <option value=value prop:selected=selected>{label}</option> }
            })
            .collect_view()
    };
    let actions = ACTIONS
        .into_iter()
        .map(|action| {
            let selected = move || log.fields.with(|f| f.action == action);
            view! { <option value=action prop:selected=selected>{action_label(action)}</option> }
        })
        .collect_view();
    view! {
        <form
            class="form panel log-filters"
            data-testid="log-filters"
            on:submit=move |ev| {
                ev.prevent_default();
                log.apply();
            }
        >
            <div class="fields">
                <label>
                    "Operator"
                    <select
                        data-testid="log-operator"
                        on:change=move |ev| log.fields.update(|f| f.operator = event_target_value(&ev))
                    >
                        <option value="" prop:selected=move || log.fields.with(|f| f.operator.is_empty())>
                            "Everyone"
                        </option>
                        {operators}
                    </select>
                </label>
                <label>
                    "Action"
                    <select
                        data-testid="log-action"
                        on:change=move |ev| log.fields.update(|f| f.action = event_target_value(&ev))
                    >
                        <option value="" prop:selected=move || log.fields.with(|f| f.action.is_empty())>
                            "Every action"
                        </option>
                        {actions}
                    </select>
                </label>
                <label>
                    "Chat id"
                    <input
                        type="text"
                        autocomplete="off"
                        spellcheck="false"
                        placeholder="Any chat"
                        data-testid="log-chat"
                        prop:value=field(|f| &f.chat)
                        on:input=move |ev| log.fields.update(|f| f.chat = event_target_value(&ev))
                    />
                </label>
                <label>
                    "From (UTC)"
                    <input
                        type="datetime-local"
                        data-testid="log-from"
                        prop:value=field(|f| &f.from)
                        on:input=move |ev| log.fields.update(|f| f.from = event_target_value(&ev))
                    />
                </label>
                <label>
                    "To (UTC)"
                    <input
                        type="datetime-local"
                        data-testid="log-to"
                        prop:value=field(|f| &f.to)
                        on:input=move |ev| log.fields.update(|f| f.to = event_target_value(&ev))
                    />
                </label>
            </div>
            <p class="hint">"Times are UTC. To includes the minute it names."</p>
            <div class="actions">
                <button
                    type="submit"
                    class="primary"
                    data-testid="log-apply"
                    disabled=move || !hydrated.get() || log.loading.get()
                >
                    "Apply"
                </button>
                <button
                    type="button"
                    data-testid="log-reset"
                    disabled=move || !hydrated.get() || log.loading.get()
                    on:click=move |_| log.reset()
                >
                    "Reset"
                </button>
            </div>
        </form>
    }
}

/// The table, or why there is none; "Older entries" under it.
#[component]
fn Entries(log: Log) -> impl IntoView {
    let empty = move || log.entries.with(Vec::is_empty);
    view! {
        <Show
            when=move || !empty()
            fallback=move || {
                if log.loading.get() {
                    view! { <p class="loading-inline muted">"Loading…"</p> }.into_any_at_once()
                } else {
                    view! { <p class="empty" data-testid="log-empty">"No actions match."</p> }.into_any_at_once()
                }
            }
        >
            <table class="log-table" data-testid="log-table">
                <thead>
                    <tr>
                        <th>"When (UTC)"</th>
                        <th>"Operator"</th>
                        <th>"Action"</th>
                        <th>"Chat"</th>
                        <th>"Object"</th>
                        <th>"IP"</th>
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=move || log.entries.get()
                        key=|entry| entry.id
                        children=|entry| view! { <LogRow entry /> }
                    />
                </tbody>
            </table>
            <Show when=move || log.next_before.get().is_some()>
                <button
                    type="button"
                    class="log-older"
                    data-testid="log-older"
                    disabled=move || log.loading.get()
                    on:click=move |_| log.older()
                >
                    {move || if log.loading.get() { "Loading…" } else { "Older entries" }}
                </button>
            </Show>
        </Show>
    }
}

#[component]
fn LogRow(entry: ActionEntry) -> impl IntoView {
    let missing = || view! { <span class="muted">"—"</span> }.into_any_at_once();
    let chat = entry.chat.map_or_else(missing, |chat| {
        view! { <code title=chat.to_string()>{short_id(chat)}</code> }.into_any_at_once()
    });
    let object = entry
        .object
        .map_or_else(missing, |object| object.into_any_at_once());
    let ip = entry.ip.map_or_else(missing, |ip| ip.into_any_at_once());
    view! {
        <tr data-testid="log-row" data-action=entry.action.clone()>
            <td class="when">{date_time(entry.at)}</td>
            <td class="who">{entry.operator_name}</td>
            <td>{action_label(&entry.action)}</td>
            <td>{chat}</td>
            <td>{object}</td>
            <td>{ip}</td>
        </tr>
    }
}

/// An action name as people read it: `accept_invite_as_observer` → "accept invite as observer".
fn action_label(action: &str) -> String {
    action.replace('_', " ")
}

/// The start of a chat id, enough to tell chats apart in a table.
fn short_id(chat: ChatId) -> String {
    chat.to_string().chars().take(8).collect()
}

/// Adds the operators that `entries` name to `seen`, each once, by name.
fn note_operators(seen: &mut Vec<(OperatorId, String)>, entries: &[ActionEntry]) {
    for entry in entries {
        if !seen.iter().any(|(id, _)| *id == entry.operator) {
            seen.push((entry.operator, entry.operator_name.clone()));
        }
    }
    seen.sort_by_key(|(_, name)| name.to_lowercase());
}

/// The operator filter's choices: every account when the list is known (admins), else the
/// operators seen in the log.
fn operator_choices(
    accounts: Option<&[OperatorAccount]>,
    seen: &[(OperatorId, String)],
) -> Vec<(OperatorId, String)> {
    let Some(accounts) = accounts else {
        return seen.to_vec();
    };
    let mut choices: Vec<_> = accounts
        .iter()
        .map(|account| (account.id, format!("{} ({})", account.name, account.email)))
        .collect();
    choices.sort_by_key(|(_, label)| label.to_lowercase());
    choices
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) of a timestamp.
pub(crate) fn date_time(at: Timestamp) -> String {
    let (days, millis_of_day) = (at.0.div_euclid(DAY_MS), at.0.rem_euclid(DAY_MS));
    let (year, month, day) = civil_from_days(days);
    let seconds = millis_of_day / 1_000;
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        seconds / 3_600,
        seconds / 60 % 60,
        seconds % 60
    )
}

const DAY_MS: i64 = 86_400_000;

/// The instants a `datetime-local` value names, read as UTC: from its start up to (not
/// including) the start of the next minute, second or millisecond, as precise as the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    /// UTC milliseconds.
    start: i64,
    /// UTC milliseconds, exclusive.
    end: i64,
}

/// Reads a `datetime-local` value (`YYYY-MM-DDTHH:MM`, optionally `:SS` and `.sss`) as UTC.
fn parse_datetime_local(value: &str) -> Option<Span> {
    let (date, time) = value.split_once('T')?;
    let mut date = date.split('-');
    let year = number(date.next()?, 4, 6)?;
    let month = number(date.next()?, 2, 2)?;
    let day = number(date.next()?, 2, 2)?;
    let (clock, fraction) = match time.split_once('.') {
        Some((clock, fraction)) => (clock, Some(fraction)),
        None => (time, None),
    };
    let mut clock = clock.split(':');
    let hour = number(clock.next()?, 2, 2)?;
    let minute = number(clock.next()?, 2, 2)?;
    let second = clock.next().map(|s| number(s, 2, 2));
    if date.next().is_some() || clock.next().is_some() {
        return None;
    }
    let (second, length) = match (second, fraction) {
        (None, None) => (0, 60_000),
        (Some(second), None) => (second?, 1_000),
        (Some(second), Some(fraction)) => {
            let digits = u32::try_from(fraction.len()).ok()?;
            let scale = 10_i64.checked_pow(3_u32.checked_sub(digits)?)?;
            (second? * 1_000 + number(fraction, 1, 3)? * scale, 1)
        }
        (None, Some(_)) => return None,
    };
    // Seconds hold milliseconds once a fraction is read.
    let millis_in_minute = if length == 1 { second } else { second * 1_000 };
    let valid = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && minute < 60
        && millis_in_minute < 60_000;
    let days = days_from_civil(year, month, day);
    if !valid || civil_from_days(days) != (year, month, day) {
        return None;
    }
    let start = days * DAY_MS + (hour * 60 + minute) * 60_000 + millis_in_minute;
    Some(Span {
        start,
        end: start + length,
    })
}

/// A run of `min..=max` ASCII digits.
fn number(text: &str, min: usize, max: usize) -> Option<i64> {
    let digits = (min..=max).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| text.parse().ok()).flatten()
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date `days` after 1970-01-01 as (year, month, day) (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;

    fn entry(operator: OperatorId, name: &str) -> ActionEntry {
        ActionEntry {
            id: 1,
            at: Timestamp(0),
            operator,
            operator_name: name.to_owned(),
            action: "accept".to_owned(),
            chat: None,
            object: None,
            ip: None,
        }
    }

    #[test]
    fn action_labels_read_as_words() {
        assert_eq!(
            action_label("accept_invite_as_observer"),
            "accept invite as observer"
        );
        assert_eq!(action_label("kick"), "kick");
        assert!(
            ACTIONS
                .iter()
                .all(|action| !action_label(action).contains('_'))
        );
    }

    #[test]
    fn short_id_is_the_start_of_the_chat_id() {
        let chat: ChatId = "0190a5e2-7c1d-7b3e-9f00-5a1b2c3d4e5f"
            .parse()
            .expect("a valid id");
        assert_eq!(short_id(chat), "0190a5e2");
    }

    #[test]
    fn date_time_formats_utc_to_the_second() {
        assert_eq!(date_time(Timestamp(0)), "1970-01-01 00:00:00");
        // 2024-02-29 13:07:42.999 UTC.
        assert_eq!(
            date_time(Timestamp(1_709_212_062_999)),
            "2024-02-29 13:07:42"
        );
        assert_eq!(date_time(Timestamp(-1)), "1969-12-31 23:59:59");
    }

    #[test]
    fn datetime_local_reads_as_utc_spanning_its_precision() {
        assert_eq!(
            parse_datetime_local("1970-01-01T00:00"),
            Some(Span {
                start: 0,
                end: MINUTE
            })
        );
        assert_eq!(
            parse_datetime_local("2024-02-29T13:07"),
            Some(Span {
                start: 1_709_212_020_000,
                end: 1_709_212_020_000 + MINUTE
            })
        );
        assert_eq!(
            parse_datetime_local("2024-02-29T13:07:42"),
            Some(Span {
                start: 1_709_212_062_000,
                end: 1_709_212_063_000
            })
        );
        assert_eq!(
            parse_datetime_local("2024-02-29T13:07:42.5"),
            Some(Span {
                start: 1_709_212_062_500,
                end: 1_709_212_062_501
            })
        );
        assert_eq!(
            parse_datetime_local("2024-02-29T13:07:42.999"),
            Some(Span {
                start: 1_709_212_062_999,
                end: 1_709_212_063_000
            })
        );
    }

    #[test]
    fn datetime_local_refuses_what_is_not_a_date_and_time() {
        for value in [
            "",
            "2024-02-29",
            "2024-02-29 13:07",
            "2023-02-29T13:07",
            "2024-13-01T00:00",
            "2024-04-31T00:00",
            "2024-01-01T24:00",
            "2024-01-01T00:60",
            "2024-01-01T00:00:60",
            "2024-01-01T00:00.5",
            "2024-01-01T00:00:00.1234",
            "2024-1-01T00:00",
            "+2024-01-01T00:00",
            "2024-01-01T00:00:00:00",
        ] {
            assert_eq!(parse_datetime_local(value), None, "{value:?}");
        }
    }

    #[test]
    fn datetime_local_round_trips_with_date_time() {
        for millis in [0, 951_782_400_000, 1_709_212_062_000, 4_102_444_799_000] {
            let shown = date_time(Timestamp(millis)).replace(' ', "T");
            assert_eq!(
                parse_datetime_local(&shown).map(|span| span.start),
                Some(millis),
                "{shown}"
            );
        }
    }

    #[test]
    fn empty_fields_ask_for_everything() {
        assert_eq!(Fields::default().query(), Ok(ActionFilter::default()));
    }

    #[test]
    fn fields_become_the_query() {
        let operator = OperatorId(uuid::Uuid::from_u128(7));
        let chat = ChatId(uuid::Uuid::from_u128(9));
        let fields = Fields {
            operator: operator.to_string(),
            action: "kick".to_owned(),
            chat: format!(" {chat} "),
            from: "2024-02-29T13:07".to_owned(),
            to: "2024-02-29T13:08".to_owned(),
        };
        assert_eq!(
            fields.query(),
            Ok(ActionFilter {
                operator: Some(operator),
                action: Some("kick".to_owned()),
                chat: Some(chat),
                from: Some(Timestamp(1_709_212_020_000)),
                // To includes its minute.
                to: Some(Timestamp(1_709_212_020_000 + 2 * MINUTE)),
                before: None,
            })
        );
    }

    #[test]
    fn a_chat_id_that_is_not_a_uuid_is_refused() {
        let fields = Fields {
            chat: "0190a5e2".to_owned(),
            ..Fields::default()
        };
        let message = fields.query().expect_err("not a UUID");
        assert!(message.contains("chat id"), "{message}");
    }

    #[test]
    fn a_span_that_ends_before_it_starts_is_refused() {
        let fields = Fields {
            from: "2024-02-29T13:07".to_owned(),
            to: "2024-02-29T13:06".to_owned(),
            ..Fields::default()
        };
        assert_eq!(fields.query(), Err("From must be before To.".to_owned()));
        let same_minute = Fields {
            to: "2024-02-29T13:07".to_owned(),
            ..fields
        };
        assert!(same_minute.query().is_ok());
    }

    #[test]
    fn seen_operators_are_kept_once_by_name() {
        let (ann, bob) = (
            OperatorId(uuid::Uuid::from_u128(1)),
            OperatorId(uuid::Uuid::from_u128(2)),
        );
        let mut seen = Vec::new();
        note_operators(&mut seen, &[entry(bob, "bob"), entry(ann, "Ann")]);
        note_operators(&mut seen, &[entry(bob, "bob")]);
        assert_eq!(seen, vec![(ann, "Ann".to_owned()), (bob, "bob".to_owned())]);
        assert_eq!(operator_choices(None, &seen), seen);
        assert_eq!(operator_choices(Some(&[][..]), &seen), Vec::new());
    }
}
