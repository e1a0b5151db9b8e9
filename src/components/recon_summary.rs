//! Reconciliation at a glance, on its own page and on the dashboard: live cases by class and
//! age, and how a run went.

use crate::components::pager::page_href;
use crate::domain::recon::{AgeBucket, BreakClass, RunStatus, SummaryCell};
use crate::i18n::recon::Recon;
use crate::i18n::{TextGroup, fill, texts, use_locale};
use leptos::prelude::*;
use leptos_router::params::ParamsMap;

/// Live cases by class (rows) and age (columns); every count links to those cases.
#[component]
pub fn SummaryGrid(cells: Vec<SummaryCell>) -> impl IntoView {
    let locale = use_locale();
    let t = texts(locale);
    let count = |class: Option<BreakClass>, bucket: Option<AgeBucket>| -> i64 {
        cells.iter().filter(|c| class.is_none_or(|k| c.class == k) && bucket.is_none_or(|b| c.bucket == b)).map(|c| c.count).sum()
    };
    let cell = |class: Option<BreakClass>, bucket: Option<AgeBucket>| {
        let n = count(class, bucket);
        if n == 0 {
            return view! { <td class="num muted">"0"</td> }.into_any();
        }
        let pairs: Vec<(&str, &str)> = [class.map(|c| ("class", c.as_str())), bucket.map(|b| ("age", b.as_str()))].into_iter().flatten().collect();
        let href = format!("{}#queue", page_href("/reconciliation", &ParamsMap::new(), &[], &pairs));
        view! { <td class="num"><a href=href>{n}</a></td> }.into_any()
    };
    view! {
        <table class="data recon-summary">
            <thead>
                <tr>
                    <th>{t.case_class}</th>
                    {AgeBucket::ALL.iter().map(|b| view! { <th class="num">{b.label_in(locale)}</th> }).collect_view()}
                    <th class="num">{t.all}</th>
                </tr>
            </thead>
            <tbody>
                {BreakClass::ALL.iter().map(|&class| view! {
                    <tr>
                        <th scope="row" title=class.explanation_in(locale)>{class.label_in(locale)}</th>
                        {AgeBucket::ALL.iter().map(|&b| cell(Some(class), Some(b))).collect_view()}
                        {cell(Some(class), None)}
                    </tr>
                }).collect_view()}
            </tbody>
            <tfoot>
                <tr>
                    <th scope="row">{t.all_classes}</th>
                    {AgeBucket::ALL.iter().map(|&b| cell(None, Some(b))).collect_view()}
                    {cell(None, None)}
                </tr>
            </tfoot>
        </table>
    }
}

/// A run's duration: `850 ms`, `4.2 s`, `3 min 5 s` (`850ミリ秒`, `4.2秒`, `3分5秒`).
pub fn duration_text(ms: i64) -> String {
    let r = Recon::of(use_locale());
    if ms < 1_000 {
        fill(r.duration_ms, &[&ms.to_string()])
    } else if ms < 60_000 {
        fill(r.duration_s, &[&(ms / 1_000).to_string(), &(ms % 1_000 / 100).to_string()])
    } else {
        fill(r.duration_min, &[&(ms / 60_000).to_string(), &(ms % 60_000 / 1_000).to_string()])
    }
}

/// What a run found, by class; "none" when a run that succeeded found nothing.
pub fn breaks_text(breaks: &[(BreakClass, i64)], status: RunStatus) -> String {
    let locale = use_locale();
    let r = Recon::of(locale);
    let found: Vec<String> = breaks.iter().filter(|(_, n)| *n > 0).map(|(c, n)| fill(r.class_count, &[c.label_in(locale), &n.to_string()])).collect();
    match (found.is_empty(), status) {
        (false, _) => found.join(r.list_separator),
        (true, RunStatus::Succeeded) => texts(locale).run_found_none.into(),
        (true, _) => String::new(),
    }
}
