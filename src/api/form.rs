//! Reading form fields the way people fill them in.

use crate::domain::AppError;
use crate::say;

/// The trimmed value, or `None` for a field left empty.
pub fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// Parses an optional choice (`kind`, `status`, …); empty means "any".
pub fn choice<T: std::str::FromStr<Err = String>>(field: &str, value: Option<String>) -> Result<Option<T>, AppError> {
    non_empty(value).map(|v| v.parse().map_err(|e: String| AppError::validation(field, e))).transpose()
}

/// Changes that are hard to take back need the form's "I understand" box ticked; the check sits
/// on the server so that a form submitted without scripts, or a hand-made request, is held to it.
pub fn confirmed(confirm: Option<String>) -> Result<(), AppError> {
    match non_empty(confirm).as_deref() {
        Some("yes") => Ok(()),
        _ => Err(AppError::validation("confirm", say!("tick the box to confirm", "チェックボックスをオンにして確認してください"))),
    }
}
