/// A stored timestamp (`2026-05-01T09:30:12Z`) to the minute, as tables show it: `2026-05-01 09:30`.
pub fn to_minute(at: &str) -> String {
    at.get(..16).unwrap_or(at).replace('T', " ")
}
