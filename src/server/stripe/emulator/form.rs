//! Stripe's form encoding decoded into a tree: `a[b][c]=v` nests maps, `expand[]=v` appends to a
//! list, and `items[0][price]=v` nests under the key "0" (the endpoint decides whether a map with
//! numeric keys is a list, as Stripe's server does).

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    Str(String),
    Map(BTreeMap<String, Param>),
    List(Vec<Param>),
}

pub type Form = BTreeMap<String, Param>;

#[derive(Debug, PartialEq, Eq)]
pub struct FormError {
    pub param: String,
    pub message: String,
}

/// Deeper nesting than any Stripe parameter uses is refused rather than built.
const MAX_DEPTH: usize = 8;

/// The percent-decoded `(key, value)` pairs in their original order.
pub fn pairs(input: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(input).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

pub fn decode(input: &[u8]) -> Result<Form, FormError> {
    let mut root = Form::new();
    for (key, value) in pairs(input) {
        let (head, segments) = segments(&key).ok_or_else(|| FormError { message: format!("Invalid parameter name: {key}"), param: key.clone() })?;
        if segments.len() > MAX_DEPTH {
            return Err(FormError { message: format!("Parameter nested too deeply: {key}"), param: key.clone() });
        }
        place_in_map(&mut root, head, &segments, value, &key)?;
    }
    Ok(root)
}

#[derive(Debug, PartialEq, Eq)]
enum Segment<'a> {
    Key(&'a str),
    Append,
}

/// Splits `a[b][]` into `a` and `[Key(b), Append]`; `None` when the brackets are malformed.
fn segments(key: &str) -> Option<(&str, Vec<Segment<'_>>)> {
    let Some(open) = key.find('[') else { return Some((key, Vec::new())) };
    let head = &key[..open];
    if head.is_empty() {
        return None;
    }
    let mut rest = &key[open..];
    let mut out = Vec::new();
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let close = inner.find(']')?;
        let name = &inner[..close];
        if name.contains('[') {
            return None;
        }
        out.push(if name.is_empty() { Segment::Append } else { Segment::Key(name) });
        rest = &inner[close + 1..];
    }
    Some((head, out))
}

fn conflict(key: &str) -> FormError {
    FormError { message: format!("Conflicting values for parameter: {key}"), param: key.to_string() }
}

fn place_in_map(map: &mut BTreeMap<String, Param>, name: &str, segments: &[Segment<'_>], value: String, key: &str) -> Result<(), FormError> {
    let Some((first, rest)) = segments.split_first() else {
        // A repeated scalar keeps the last value; replacing a nested value is a conflict.
        return match map.get(name) {
            Some(Param::Map(_) | Param::List(_)) => Err(conflict(key)),
            _ => {
                map.insert(name.to_string(), Param::Str(value));
                Ok(())
            }
        };
    };
    let node = map.entry(name.to_string()).or_insert_with(|| match first {
        Segment::Key(_) => Param::Map(BTreeMap::new()),
        Segment::Append => Param::List(Vec::new()),
    });
    match (node, first) {
        (Param::Map(inner), Segment::Key(child)) => place_in_map(inner, child, rest, value, key),
        (Param::List(list), Segment::Append) => append(list, rest, value, key),
        _ => Err(conflict(key)),
    }
}

/// `items[][a]=1&items[][b]=2` fills one element until a key repeats, as Rack does.
fn append(list: &mut Vec<Param>, rest: &[Segment<'_>], value: String, key: &str) -> Result<(), FormError> {
    match rest.split_first() {
        None => {
            list.push(Param::Str(value));
            Ok(())
        }
        Some((Segment::Key(child), tail)) => {
            let reuse = matches!(list.last(), Some(Param::Map(last)) if !has_path(last, child, tail));
            if !reuse {
                list.push(Param::Map(BTreeMap::new()));
            }
            match list.last_mut() {
                Some(Param::Map(last)) => place_in_map(last, child, tail, value, key),
                _ => Err(conflict(key)),
            }
        }
        Some((Segment::Append, _)) => Err(conflict(key)),
    }
}

fn has_path(map: &BTreeMap<String, Param>, name: &str, tail: &[Segment<'_>]) -> bool {
    match (map.get(name), tail.first()) {
        (None, _) => false,
        (Some(Param::Map(inner)), Some(Segment::Key(next))) => has_path(inner, next, &tail[1..]),
        (Some(_), _) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Param {
        Param::Str(v.to_string())
    }

    fn map(entries: &[(&str, Param)]) -> Param {
        Param::Map(entries.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
    }

    #[test]
    fn nested_brackets_build_maps() {
        let form = decode(b"amount_requested[currency]=jpy&amount_requested[value]=1000&description=x").unwrap();
        assert_eq!(form["amount_requested"], map(&[("currency", s("jpy")), ("value", s("1000"))]));
        assert_eq!(form["description"], s("x"));
    }

    #[test]
    fn three_levels_deep() {
        let form = decode(b"payment_method_details[custom][type]=cpmt_1&payment_method_details[type]=custom").unwrap();
        assert_eq!(form["payment_method_details"], map(&[("custom", map(&[("type", s("cpmt_1"))])), ("type", s("custom"))]));
    }

    #[test]
    fn empty_brackets_append_in_order() {
        let form = decode(b"expand[]=b&expand[]=a").unwrap();
        assert_eq!(form["expand"], Param::List(vec![s("b"), s("a")]));
    }

    #[test]
    fn indexed_arrays_are_maps_keyed_by_index() {
        let form = decode(b"items[0][price]=price_1&items[1][price]=price_2&items[0][quantity]=2").unwrap();
        assert_eq!(form["items"], map(&[("0", map(&[("price", s("price_1")), ("quantity", s("2"))])), ("1", map(&[("price", s("price_2"))])),]));
    }

    #[test]
    fn appended_maps_fill_one_element_until_a_key_repeats() {
        let form = decode(b"items[][price]=p1&items[][quantity]=1&items[][price]=p2").unwrap();
        assert_eq!(form["items"], Param::List(vec![map(&[("price", s("p1")), ("quantity", s("1"))]), map(&[("price", s("p2"))])]));
    }

    #[test]
    fn percent_encoding_and_plus_are_decoded_in_keys_and_values() {
        let form = decode(b"metadata%5Bledger_tx%5D=a+b%26c&description=%E5%86%86").unwrap();
        assert_eq!(form["metadata"], map(&[("ledger_tx", s("a b&c"))]));
        assert_eq!(form["description"], s("円"));
    }

    #[test]
    fn empty_values_are_kept_because_they_mean_unset() {
        let form = decode(b"metadata[a]=&description=").unwrap();
        assert_eq!(form["metadata"], map(&[("a", s(""))]));
        assert_eq!(form["description"], s(""));
    }

    #[test]
    fn a_repeated_scalar_keeps_the_last_value() {
        assert_eq!(decode(b"limit=1&limit=5").unwrap()["limit"], s("5"));
    }

    #[test]
    fn a_scalar_and_a_map_under_one_name_conflict() {
        assert_eq!(decode(b"metadata=x&metadata[a]=b").unwrap_err().param, "metadata[a]");
        assert_eq!(decode(b"metadata[a]=b&metadata=x").unwrap_err().param, "metadata");
        assert_eq!(decode(b"expand[]=a&expand[x]=b").unwrap_err().param, "expand[x]");
    }

    #[test]
    fn malformed_brackets_are_refused() {
        assert_eq!(decode(b"a[b=1").unwrap_err().param, "a[b");
        assert_eq!(decode(b"[a]=1").unwrap_err().param, "[a]");
        assert_eq!(decode(b"a[b]c=1").unwrap_err().param, "a[b]c");
        assert_eq!(decode(b"a[[b]]=1").unwrap_err().param, "a[[b]]");
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_refused() {
        assert!(decode(b"a[1][2][3][4][5][6][7][8]=x").is_ok());
        assert!(decode(b"a[1][2][3][4][5][6][7][8][9]=x").is_err());
    }

    #[test]
    fn empty_input_and_stray_ampersands_decode_to_nothing() {
        assert!(decode(b"").unwrap().is_empty());
        assert_eq!(decode(b"&&a=1&").unwrap()["a"], s("1"));
    }
}
