use crate::i18n::use_texts;
use leptos::prelude::*;
use leptos_router::params::ParamsMap;

/// The link to another page of a filtered list: `path?…` with the filters named in `keep`
/// copied from `query`, then `cursor`'s pairs. Pages are plain links so paging works without
/// scripts and every page has a URL to share.
pub fn page_href(path: &str, query: &ParamsMap, keep: &[&str], cursor: &[(&str, &str)]) -> String {
    let kept = keep.iter().filter_map(|k| query.get(k).map(|v| (k.to_string(), v)));
    let pairs: Vec<String> = kept.chain(cursor.iter().map(|(k, v)| (k.to_string(), v.to_string()))).map(|(k, v)| format!("{k}={}", encode(&v))).collect();
    if pairs.is_empty() { path.to_string() } else { format!("{path}?{}", pairs.join("&")) }
}

/// The links under a list: to older entries, and back to the newest once paged.
#[component]
pub fn OlderNewest(older: Option<String>, newest: Option<String>) -> impl IntoView {
    let t = use_texts();
    view! {
        <nav class="pager">
            {older.map(|href| view! { <a href=href>{t.older}</a> })}
            {newest.map(|href| view! { <a href=href>{t.newest}</a> })}
        </nav>
    }
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_filters_and_encodes_the_cursor() {
        let mut query = ParamsMap::new();
        query.insert("search", "Ai ko".to_string());
        query.insert("after_id", "stale".to_string());
        let href = page_href("/accounts", &query, &["search", "kind"], &[("after_name", "Ben & Co"), ("after_id", "01")]);
        assert_eq!(href, "/accounts?search=Ai%20ko&after_name=Ben%20%26%20Co&after_id=01");
        assert_eq!(page_href("/audit", &ParamsMap::new(), &["actor"], &[]), "/audit");
    }
}
