//! Widgets shared by pages.

pub mod mirror;
pub mod notice;
pub mod shell;

/// `k=v&k2=v2` with values percent-encoded, for links that keep a page's filters.
pub fn query_string(pairs: &[(String, String)]) -> String {
    let encode = |value: &str| -> String {
        value
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect::<Vec<_>>().join("&")
}
