//! Reading decoded parameters by name, with Stripe's error for each way a value can be wrong and
//! the nested name (`amount_requested[currency]`, `items[0][price]`) in `param`. Every object read
//! through here names the keys it accepts, so unknown parameters are refused at any depth.

use super::currency;
use super::errors::ApiError;
use super::form::{Form, Param};
use std::collections::BTreeMap;

pub type Metadata = BTreeMap<String, String>;

const METADATA_MAX_KEYS: usize = 50;
const METADATA_MAX_KEY_LEN: usize = 40;
const METADATA_MAX_VALUE_LEN: usize = 500;
/// Far above any real amount in minor units, and low enough that sums of amounts cannot
/// overflow.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;
/// 9999-12-31T23:59:59Z, the largest time Stripe accepts.
const MAX_TIMESTAMP: i64 = 253_402_300_799;

#[derive(Clone)]
pub struct Fields<'a> {
    prefix: String,
    map: &'a BTreeMap<String, Param>,
}

impl<'a> Fields<'a> {
    /// The top-level parameters; `expand` is accepted everywhere.
    pub fn root(form: &'a Form, allowed: &[&str]) -> Result<Self, ApiError> {
        Self::nested(String::new(), form, allowed)
    }

    fn nested(prefix: String, map: &'a BTreeMap<String, Param>, allowed: &[&str]) -> Result<Self, ApiError> {
        let fields = Fields { prefix, map };
        let top = fields.prefix.is_empty();
        match map.keys().find(|k| !(allowed.contains(&k.as_str()) || (top && k.as_str() == "expand"))) {
            Some(unknown) => Err(ApiError::unknown(&fields.name(unknown))),
            None => Ok(fields),
        }
    }

    pub fn name(&self, key: &str) -> String {
        if self.prefix.is_empty() { key.to_string() } else { format!("{}[{key}]", self.prefix) }
    }

    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    pub fn str(&self, key: &str) -> Result<Option<&'a str>, ApiError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Param::Str(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(ApiError::invalid_value(&self.name(key), format!("Invalid string: {}", self.name(key)))),
        }
    }

    /// Optional text, where an empty string means "not set".
    pub fn text(&self, key: &str) -> Result<Option<String>, ApiError> {
        Ok(self.str(key)?.filter(|s| !s.is_empty()).map(str::to_string))
    }

    /// For updates: `Some(new value)` when the key is given (`""` clears it), `None` otherwise.
    pub fn text_update(&self, key: &str) -> Result<Option<Option<String>>, ApiError> {
        if self.has(key) { self.text(key).map(Some) } else { Ok(None) }
    }

    pub fn required_str(&self, key: &str) -> Result<&'a str, ApiError> {
        match self.str(key)? {
            None => Err(ApiError::missing(&self.name(key))),
            Some("") => Err(ApiError::invalid_empty(&self.name(key))),
            Some(s) => Ok(s),
        }
    }

    pub fn i64(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.str(key)? {
            None => Ok(None),
            Some("") => Err(ApiError::invalid_empty(&self.name(key))),
            Some(s) => s.parse().map(Some).map_err(|_| ApiError::invalid_integer(&self.name(key), s)),
        }
    }

    /// An integer in `min..=max`.
    pub fn bounded(&self, key: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        match self.i64(key)? {
            Some(n) if n < min || n > max => {
                Err(ApiError::invalid_value(&self.name(key), format!("This value must be greater than or equal to {min} and less than or equal to {max}.")))
            }
            other => Ok(other),
        }
    }

    /// An amount in minor units: a non-negative integer.
    pub fn amount(&self, key: &str) -> Result<Option<i64>, ApiError> {
        self.bounded(key, 0, MAX_AMOUNT)
    }

    pub fn required_amount(&self, key: &str) -> Result<i64, ApiError> {
        self.amount(key)?.ok_or_else(|| ApiError::missing(&self.name(key)))
    }

    pub fn timestamp(&self, key: &str) -> Result<Option<i64>, ApiError> {
        self.bounded(key, 0, MAX_TIMESTAMP)
    }

    pub fn required_timestamp(&self, key: &str) -> Result<i64, ApiError> {
        self.timestamp(key)?.ok_or_else(|| ApiError::missing(&self.name(key)))
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.str(key)? {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(other) => Err(ApiError::invalid_value(&self.name(key), format!("Invalid boolean: {other}"))),
        }
    }

    /// One of a fixed set of strings.
    pub fn one_of(&self, key: &str, allowed: &[&'static str]) -> Result<Option<&'static str>, ApiError> {
        let Some(value) = self.str(key)? else { return Ok(None) };
        match allowed.iter().find(|a| **a == value) {
            Some(found) => Ok(Some(*found)),
            None => Err(ApiError::invalid_value(&self.name(key), format!("Invalid {}: must be one of {}", self.name(key), enumerate(allowed)))),
        }
    }

    pub fn required_one_of(&self, key: &str, allowed: &[&'static str]) -> Result<&'static str, ApiError> {
        self.one_of(key, allowed)?.ok_or_else(|| ApiError::missing(&self.name(key)))
    }

    pub fn currency(&self, key: &str) -> Result<Option<String>, ApiError> {
        let Some(code) = self.str(key)? else { return Ok(None) };
        if code.is_empty() {
            return Err(ApiError::invalid_empty(&self.name(key)));
        }
        currency::normalize(code).map(Some).ok_or_else(|| {
            ApiError::invalid_value(&self.name(key), format!("Invalid currency: {}. Stripe does not support this currency.", code.to_ascii_lowercase()))
        })
    }

    pub fn required_currency(&self, key: &str) -> Result<String, ApiError> {
        self.currency(key)?.ok_or_else(|| ApiError::missing(&self.name(key)))
    }

    /// A nested object whose keys must be among `allowed`; an empty string means "not given".
    pub fn object(&self, key: &str, allowed: &[&str]) -> Result<Option<Fields<'a>>, ApiError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Param::Str(s)) if s.is_empty() => Ok(None),
            Some(Param::Map(map)) => Self::nested(self.name(key), map, allowed).map(Some),
            Some(_) => Err(ApiError::invalid_value(&self.name(key), format!("Invalid object: {}", self.name(key)))),
        }
    }

    pub fn required_object(&self, key: &str, allowed: &[&str]) -> Result<Fields<'a>, ApiError> {
        self.object(key, allowed)?.ok_or_else(|| ApiError::missing(&self.name(key)))
    }

    /// An array given as `key[]=` or `key[0]=`, with each element's name; empty when absent.
    fn elements(&self, key: &str) -> Result<Vec<(String, &'a Param)>, ApiError> {
        let invalid = || ApiError::invalid_value(&self.name(key), format!("Invalid array: {}", self.name(key)));
        match self.map.get(key) {
            None => Ok(Vec::new()),
            Some(Param::Str(s)) if s.is_empty() => Ok(Vec::new()),
            Some(Param::List(items)) => Ok(items.iter().enumerate().map(|(i, p)| (format!("{}[{i}]", self.name(key)), p)).collect()),
            Some(Param::Map(map)) => {
                let mut indexed = map.iter().map(|(k, p)| k.parse::<usize>().map(|i| (i, p)).map_err(|_| invalid())).collect::<Result<Vec<_>, _>>()?;
                indexed.sort_by_key(|(i, _)| *i);
                Ok(indexed.into_iter().map(|(i, p)| (format!("{}[{i}]", self.name(key)), p)).collect())
            }
            Some(Param::Str(_)) => Err(invalid()),
        }
    }

    /// An array of objects, each with its keys among `allowed`.
    pub fn objects(&self, key: &str, allowed: &[&str]) -> Result<Vec<Fields<'a>>, ApiError> {
        self.elements(key)?
            .into_iter()
            .map(|(name, param)| match param {
                Param::Map(map) => Self::nested(name, map, allowed),
                _ => Err(ApiError::invalid_value(&name, format!("Invalid object: {name}"))),
            })
            .collect()
    }

    /// An array of strings.
    pub fn strings(&self, key: &str) -> Result<Vec<&'a str>, ApiError> {
        self.elements(key)?
            .into_iter()
            .map(|(name, param)| match param {
                Param::Str(s) => Ok(s.as_str()),
                _ => Err(ApiError::invalid_value(&name, format!("Invalid string: {name}"))),
            })
            .collect()
    }

    /// `metadata[key]=value` changes; `""` as a value removes that key, `metadata=` removes all.
    pub fn metadata(&self, key: &str) -> Result<Option<MetadataPatch>, ApiError> {
        let name = self.name(key);
        match self.map.get(key) {
            None => Ok(None),
            Some(Param::Str(s)) if s.is_empty() => Ok(Some(MetadataPatch::Clear)),
            Some(Param::Map(map)) => {
                let mut changes = Vec::with_capacity(map.len());
                for (k, v) in map {
                    let param = format!("{name}[{k}]");
                    let Param::Str(value) = v else {
                        return Err(ApiError::invalid_value(&param, format!("Invalid string: {param}")));
                    };
                    if k.chars().count() > METADATA_MAX_KEY_LEN {
                        return Err(ApiError::invalid_value(&param, format!("Metadata keys can have up to {METADATA_MAX_KEY_LEN} characters.")));
                    }
                    if value.chars().count() > METADATA_MAX_VALUE_LEN {
                        return Err(ApiError::invalid_value(&param, format!("Metadata values can have up to {METADATA_MAX_VALUE_LEN} characters.")));
                    }
                    changes.push((k.clone(), (!value.is_empty()).then(|| value.clone())));
                }
                Ok(Some(MetadataPatch::Set { param: name, changes }))
            }
            Some(_) => Err(ApiError::invalid_value(&name, format!("Invalid hash: {name}"))),
        }
    }

    /// Metadata for a new object.
    pub fn new_metadata(&self, key: &str) -> Result<Metadata, ApiError> {
        match self.metadata(key)? {
            None => Ok(Metadata::new()),
            Some(patch) => patch.applied(&Metadata::new()),
        }
    }
}

pub enum MetadataPatch {
    Clear,
    Set { param: String, changes: Vec<(String, Option<String>)> },
}

impl MetadataPatch {
    /// The metadata after this change, refused when it would hold too many keys.
    pub fn applied(&self, current: &Metadata) -> Result<Metadata, ApiError> {
        let MetadataPatch::Set { param, changes } = self else { return Ok(Metadata::new()) };
        let mut next = current.clone();
        for (key, value) in changes {
            match value {
                Some(v) => next.insert(key.clone(), v.clone()),
                None => next.remove(key),
            };
        }
        if next.len() > METADATA_MAX_KEYS {
            return Err(ApiError::invalid_value(param, format!("Metadata can have up to {METADATA_MAX_KEYS} keys.")));
        }
        Ok(next)
    }
}

/// `a, b, or c`, as Stripe lists allowed values.
fn enumerate(values: &[&str]) -> String {
    match values {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{}, or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::form::decode;
    use super::*;

    #[test]
    fn unknown_keys_are_named_with_their_path() {
        let form = decode(b"amount_requested[value]=1&amount_requested[bogus]=2").unwrap();
        let root = Fields::root(&form, &["amount_requested"]).unwrap();
        let err = root.object("amount_requested", &["currency", "value"]).err().unwrap();
        assert_eq!(err.param.as_deref(), Some("amount_requested[bogus]"));
        assert_eq!(err.code, Some("parameter_unknown"));
        assert!(Fields::root(&form, &[]).is_err());
    }

    #[test]
    fn indexed_and_appended_arrays_read_alike() {
        for body in [&b"items[1][price]=b&items[0][price]=a"[..], &b"items[][price]=a&items[][price]=b"[..]] {
            let form = decode(body).unwrap();
            let root = Fields::root(&form, &["items"]).unwrap();
            let items = root.objects("items", &["price"]).unwrap();
            let prices: Vec<_> = items.iter().map(|i| i.required_str("price").unwrap()).collect();
            assert_eq!(prices, ["a", "b"]);
            assert_eq!(items[1].name("price"), "items[1][price]");
        }
    }

    #[test]
    fn integers_and_enums_report_stripe_errors() {
        let form = decode(b"limit=ten&outcome=maybe").unwrap();
        let root = Fields::root(&form, &["limit", "outcome"]).unwrap();
        assert_eq!(root.i64("limit").unwrap_err().code, Some("parameter_invalid_integer"));
        let err = root.one_of("outcome", &["guaranteed", "failed", "canceled"]).unwrap_err();
        assert_eq!(err.message, "Invalid outcome: must be one of guaranteed, failed, or canceled");
        assert_eq!(root.required_str("missing").unwrap_err().code, Some("parameter_missing"));
    }

    #[test]
    fn metadata_sets_removes_and_clears() {
        let current: Metadata = [("a".to_string(), "1".to_string()), ("b".to_string(), "2".to_string())].into();
        let form = decode(b"metadata[a]=&metadata[c]=3").unwrap();
        let patch = Fields::root(&form, &["metadata"]).unwrap().metadata("metadata").unwrap().unwrap();
        let next = patch.applied(&current).unwrap();
        assert_eq!(next.into_iter().collect::<Vec<_>>(), [("b".into(), "2".into()), ("c".into(), "3".into())]);
        let form = decode(b"metadata=").unwrap();
        let patch = Fields::root(&form, &["metadata"]).unwrap().metadata("metadata").unwrap().unwrap();
        assert!(patch.applied(&current).unwrap().is_empty());
    }

    #[test]
    fn metadata_limits_are_enforced() {
        let long_key = format!("metadata[{}]=v", "k".repeat(41));
        let form = decode(long_key.as_bytes()).unwrap();
        assert!(Fields::root(&form, &["metadata"]).unwrap().metadata("metadata").is_err());
        let many: Vec<String> = (0..51).map(|i| format!("metadata[k{i}]=v")).collect();
        let form = decode(many.join("&").as_bytes()).unwrap();
        assert!(Fields::root(&form, &["metadata"]).unwrap().new_metadata("metadata").is_err());
    }
}
