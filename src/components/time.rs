use crate::domain::locale::{format_minute, parse_utc, utc_offset_name};
use crate::i18n::use_reading;
use leptos::prelude::*;

/// A stored moment (`2026-11-26T16:26:40.849Z`) to the minute, in the reader's language and
/// time zone: `26 Nov 2026, 16:26` or `2026年11月27日 01:26`. The zone is in the tooltip;
/// text that is not a stored moment shows as it is.
/// `utc` shows the moment in UTC whatever the reader's zone, for pages whose days are UTC days
/// (an account statement).
#[component]
pub fn Time(#[prop(into)] at: String, #[prop(optional)] utc: bool) -> impl IntoView {
    let reading = use_reading();
    let offset = if utc { 0 } else { reading.utc_offset };
    let shown = parse_utc(&at).map_or_else(|| at.clone(), |ms| format_minute(reading.locale, ms, offset));
    view! { <time datetime=at title=utc_offset_name(offset)>{shown}</time> }
}

/// [`Time`] as text, for tooltips and sentences.
pub fn local_time(at: &str) -> String {
    let reading = use_reading();
    parse_utc(at).map_or_else(|| at.to_string(), |ms| format_minute(reading.locale, ms, reading.utc_offset))
}

/// An optional moment, or a dash.
#[component]
pub fn MaybeTime(at: Option<String>) -> impl IntoView {
    match at {
        Some(at) => view! { <Time at/> }.into_any(),
        None => "—".into_any(),
    }
}
