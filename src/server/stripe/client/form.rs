//! Stripe's form encoding: nested objects as `a[b][c]=v`, arrays of objects as `items[0][price]`,
//! `expand[]=...`, and an empty value to clear a field.
//!
//! Request structs describe themselves through [`Encode`] into an ordered list of pairs; the
//! pairs, not a serializer's guesses, are what tests assert on.

use std::collections::BTreeMap;

/// Ordered `(key, value)` pairs of one request, keys already in bracket form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

/// A request (or part of one) that knows its own wire parameters.
pub trait Encode {
    fn encode(&self, scope: &mut Scope<'_>);
}

/// A scalar that Stripe receives as text.
pub trait FormValue {
    fn form_value(&self) -> String;
}

/// A field change: set a value, or clear the field (Stripe clears a field posted empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update<T> {
    Set(T),
    Clear,
}

impl Params {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn of(value: &impl Encode) -> Self {
        let mut params = Self::new();
        value.encode(&mut params.root());
        params
    }

    /// The top level, where names are used without brackets.
    /// Just `expand[]=...`, as a retrieve sends it.
    pub fn expanding(fields: &[&str]) -> Self {
        let mut params = Self::new();
        params.root().expand(fields);
        params
    }

    pub fn root(&mut self) -> Scope<'_> {
        Scope { params: self, prefix: String::new() }
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Sets `key` to exactly one value, dropping earlier ones (used for pagination cursors).
    pub fn replace(&mut self, key: &str, value: impl FormValue) {
        self.pairs.retain(|(k, _)| k != key);
        self.pairs.push((key.to_owned(), value.form_value()));
    }

    pub fn remove(&mut self, key: &str) {
        self.pairs.retain(|(k, _)| k != key);
    }

    pub fn extend(&mut self, other: Params) {
        self.pairs.extend(other.pairs);
    }

    /// `application/x-www-form-urlencoded` text, for a POST body or a GET query.
    pub fn to_form(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in &self.pairs {
            out.append_pair(key, value);
        }
        out.finish()
    }
}

/// A place in the parameter tree: `name` written here becomes `prefix[name]`.
pub struct Scope<'p> {
    params: &'p mut Params,
    prefix: String,
}

impl Scope<'_> {
    fn key(&self, name: &str) -> String {
        if self.prefix.is_empty() { name.to_owned() } else { format!("{}[{name}]", self.prefix) }
    }

    fn child(&mut self, key: String) -> Scope<'_> {
        Scope { params: &mut *self.params, prefix: key }
    }

    fn push(&mut self, key: String, value: String) {
        self.params.pairs.push((key, value));
    }

    pub fn value(&mut self, name: &str, value: impl FormValue) -> &mut Self {
        let key = self.key(name);
        self.push(key, value.form_value());
        self
    }

    /// Writes the value when present; `None` leaves the field out (Stripe keeps its value).
    pub fn opt(&mut self, name: &str, value: Option<impl FormValue>) -> &mut Self {
        if let Some(value) = value {
            self.value(name, value);
        }
        self
    }

    /// Posts `name=` which clears the field (or, for `metadata`, every key).
    pub fn clear(&mut self, name: &str) -> &mut Self {
        self.value(name, "")
    }

    pub fn object(&mut self, name: &str, value: &impl Encode) -> &mut Self {
        let key = self.key(name);
        value.encode(&mut self.child(key));
        self
    }

    pub fn opt_object(&mut self, name: &str, value: Option<&impl Encode>) -> &mut Self {
        if let Some(value) = value {
            self.object(name, value);
        }
        self
    }

    /// An inline object without its own type, e.g. `recurring[interval]`.
    pub fn with(&mut self, name: &str, build: impl FnOnce(&mut Scope<'_>)) -> &mut Self {
        let key = self.key(name);
        build(&mut self.child(key));
        self
    }

    /// Objects as `name[0][field]`, `name[1][field]`, ...
    pub fn objects<T: Encode>(&mut self, name: &str, items: &[T]) -> &mut Self {
        let key = self.key(name);
        for (index, item) in items.iter().enumerate() {
            item.encode(&mut self.child(format!("{key}[{index}]")));
        }
        self
    }

    /// Scalars as `name[0]=a&name[1]=b`, the form Stripe's SDKs send for string arrays.
    pub fn indexed<V: FormValue>(&mut self, name: &str, items: impl IntoIterator<Item = V>) -> &mut Self {
        let key = self.key(name);
        for (index, item) in items.into_iter().enumerate() {
            self.push(format!("{key}[{index}]"), item.form_value());
        }
        self
    }

    /// Scalars as `name[]=a&name[]=b`, the documented form of `expand[]`.
    pub fn appended<V: FormValue>(&mut self, name: &str, items: impl IntoIterator<Item = V>) -> &mut Self {
        let key = format!("{}[]", self.key(name));
        for item in items {
            self.push(key.clone(), item.form_value());
        }
        self
    }

    /// A string map such as `metadata[key]=value`; an empty map writes nothing.
    pub fn map<V: FormValue>(&mut self, name: &str, map: &BTreeMap<String, V>) -> &mut Self {
        let key = self.key(name);
        for (entry, value) in map {
            self.push(format!("{key}[{entry}]"), value.form_value());
        }
        self
    }

    pub fn expand<V: FormValue>(&mut self, fields: impl IntoIterator<Item = V>) -> &mut Self {
        self.appended("expand", fields)
    }
}

impl FormValue for &str {
    fn form_value(&self) -> String {
        (*self).to_owned()
    }
}

impl FormValue for String {
    fn form_value(&self) -> String {
        self.clone()
    }
}

impl FormValue for bool {
    fn form_value(&self) -> String {
        self.to_string()
    }
}

impl FormValue for i64 {
    fn form_value(&self) -> String {
        self.to_string()
    }
}

impl FormValue for u32 {
    fn form_value(&self) -> String {
        self.to_string()
    }
}

impl<T: FormValue> FormValue for &T {
    fn form_value(&self) -> String {
        (*self).form_value()
    }
}

impl<T: FormValue> FormValue for Update<T> {
    fn form_value(&self) -> String {
        match self {
            Update::Set(value) => value.form_value(),
            Update::Clear => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(params: &Params) -> Vec<(&str, &str)> {
        params.pairs().iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }

    struct Price {
        price: &'static str,
        quantity: Option<u32>,
    }

    impl Encode for Price {
        fn encode(&self, scope: &mut Scope<'_>) {
            scope.value("price", self.price).opt("quantity", self.quantity);
        }
    }

    #[test]
    fn nested_objects_use_brackets_at_every_level() {
        let mut params = Params::new();
        params.root().with("payment_method_details", |pmd| {
            pmd.value("type", "custom").with("custom", |custom| {
                custom.value("type", "cpmt_123").value("display_name", "Regio Yen");
            });
        });
        assert_eq!(
            pairs(&params),
            [
                ("payment_method_details[type]", "custom"),
                ("payment_method_details[custom][type]", "cpmt_123"),
                ("payment_method_details[custom][display_name]", "Regio Yen"),
            ]
        );
    }

    #[test]
    fn arrays_of_objects_are_indexed_inside_the_parent() {
        let items = [Price { price: "price_a", quantity: Some(2) }, Price { price: "price_b", quantity: None }];
        let mut params = Params::new();
        params.root().objects("items", &items).with("refunds", |r| {
            r.objects("nested", &items[..1]);
        });
        assert_eq!(
            pairs(&params),
            [
                ("items[0][price]", "price_a"),
                ("items[0][quantity]", "2"),
                ("items[1][price]", "price_b"),
                ("refunds[nested][0][price]", "price_a"),
                ("refunds[nested][0][quantity]", "2"),
            ]
        );
    }

    #[test]
    fn expand_repeats_an_appended_key_and_scalar_arrays_are_indexed() {
        let mut params = Params::new();
        params
            .root()
            .expand(&["data.customer".to_owned(), "latest_payment_attempt_record".to_owned()])
            .indexed("enabled_events", ["invoice.paid", "invoice.created"]);
        assert_eq!(
            pairs(&params),
            [
                ("expand[]", "data.customer"),
                ("expand[]", "latest_payment_attempt_record"),
                ("enabled_events[0]", "invoice.paid"),
                ("enabled_events[1]", "invoice.created"),
            ]
        );
        assert_eq!(
            params.to_form(),
            "expand%5B%5D=data.customer&expand%5B%5D=latest_payment_attempt_record\
             &enabled_events%5B0%5D=invoice.paid&enabled_events%5B1%5D=invoice.created"
        );
    }

    #[test]
    fn empty_string_clears_a_field_a_metadata_key_or_all_metadata() {
        let mut patch = BTreeMap::new();
        patch.insert("ledger_tx".to_owned(), Update::Set("tx_1".to_owned()));
        patch.insert("old".to_owned(), Update::Clear);
        let mut params = Params::new();
        params.root().map("metadata", &patch).value("description", Update::<String>::Clear).clear("shipping_details");
        assert_eq!(pairs(&params), [("metadata[ledger_tx]", "tx_1"), ("metadata[old]", ""), ("description", ""), ("shipping_details", "")]);
        assert_eq!(params.to_form(), "metadata%5Bledger_tx%5D=tx_1&metadata%5Bold%5D=&description=&shipping_details=");
    }

    #[test]
    fn absent_options_and_empty_collections_write_nothing() {
        let mut params = Params::new();
        params
            .root()
            .opt("limit", None::<u32>)
            .opt_object("customer_details", None::<&Price>)
            .objects::<Price>("items", &[])
            .expand(Vec::<String>::new())
            .map("metadata", &BTreeMap::<String, String>::new());
        assert!(params.is_empty());
        assert_eq!(params.to_form(), "");
        assert!(Params::expanding(&[]).is_empty());
    }

    #[test]
    fn reserved_characters_in_keys_and_values_are_percent_encoded() {
        let mut meta = BTreeMap::new();
        meta.insert("note & more".to_owned(), "a=b&c=d +1 ¥100/月".to_owned());
        let mut params = Params::new();
        params.root().map("metadata", &meta).value("description", "50% [off]");
        assert_eq!(params.to_form(), "metadata%5Bnote+%26+more%5D=a%3Db%26c%3Dd+%2B1+%C2%A5100%2F%E6%9C%88&description=50%25+%5Boff%5D");
        let decoded: Vec<(String, String)> = url::form_urlencoded::parse(params.to_form().as_bytes()).into_owned().collect();
        assert_eq!(decoded, params.pairs());
    }

    #[test]
    fn scalars_render_as_stripe_expects() {
        let mut params = Params::new();
        params.root().value("paid_out_of_band", true).value("amount", -250_i64).value("days_until_due", 30_u32);
        assert_eq!(pairs(&params), [("paid_out_of_band", "true"), ("amount", "-250"), ("days_until_due", "30")]);
    }

    #[test]
    fn encode_impls_nest_under_the_callers_key() {
        let mut params = Params::new();
        params.root().with("subscription_details", |s| {
            s.object("line", &Price { price: "price_x", quantity: Some(1) });
        });
        assert_eq!(pairs(&params), [("subscription_details[line][price]", "price_x"), ("subscription_details[line][quantity]", "1")]);
        assert_eq!(pairs(&Params::of(&Price { price: "p", quantity: None })), [("price", "p")]);
    }

    #[test]
    fn replace_keeps_one_cursor_and_remove_drops_it() {
        let mut params = Params::new();
        params.root().value("limit", 3_u32).value("starting_after", "pr_1");
        params.replace("starting_after", "pr_2");
        params.replace("starting_after", "pr_3");
        assert_eq!(pairs(&params), [("limit", "3"), ("starting_after", "pr_3")]);
        assert_eq!(params.get("starting_after"), Some("pr_3"));
        params.remove("starting_after");
        assert_eq!(params.get("starting_after"), None);
    }
}
