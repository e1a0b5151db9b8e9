//! Shapes shared by several Stripe objects.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::form::{Encode, Scope};
use crate::domain::money::Money;

/// Stripe metadata: up to 50 string keys and values.
pub type Metadata = BTreeMap<String, String>;

/// Money as Stripe's newer objects carry it: `{currency, value}` in minor units.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Amount {
    pub currency: String,
    pub value: i64,
}

impl Amount {
    pub fn new(currency: impl Into<String>, value: i64) -> Self {
        Self { currency: currency.into(), value }
    }
}

impl From<&Money> for Amount {
    fn from(money: &Money) -> Self {
        Self::new(money.currency.clone(), money.minor)
    }
}

impl Encode for Amount {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.value("currency", &self.currency).value("value", self.value);
    }
}

/// An object that Stripe sends as an id unless the request asked to `expand` it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Expandable<T> {
    Id(String),
    Object(Box<T>),
}

impl<T: StripeObject> Expandable<T> {
    pub fn id(&self) -> &str {
        match self {
            Self::Id(id) => id,
            Self::Object(object) => object.id(),
        }
    }

    pub fn as_object(&self) -> Option<&T> {
        match self {
            Self::Id(_) => None,
            Self::Object(object) => Some(object),
        }
    }
}

/// Anything with a Stripe id; lists page by the id of their last element.
pub trait StripeObject {
    fn id(&self) -> &str;
}

macro_rules! stripe_object {
    ($($name:ty),+ $(,)?) => {
        $(impl $crate::server::stripe::client::common::StripeObject for $name {
            fn id(&self) -> &str {
                &self.id
            }
        })+
    };
}
pub(crate) use stripe_object;

/// A string enum as it travels on the wire; values this client does not know yet decode as
/// `Unknown` (when declared) instead of failing the whole response.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant,)+
        }
        $crate::server::stripe::client::common::wire_enum!(@impl $name { $($variant = $wire),+ });
    };
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $wire:literal),+ $(,)? } or Unknown) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant,)+
            #[serde(other)]
            Unknown,
        }
        $crate::server::stripe::client::common::wire_enum!(@impl $name { $($variant = $wire,)+ Unknown = "unknown" });
    };
    (@impl $name:ident { $($variant:ident = $wire:literal),+ $(,)? }) => {
        impl $name {
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)+
                }
            }
        }
        impl $crate::server::stripe::client::form::FormValue for $name {
            fn form_value(&self) -> String {
                self.as_str().to_owned()
            }
        }
    };
}
pub(crate) use wire_enum;

/// A postal address, in requests and responses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Address {
    pub city: Option<String>,
    pub country: Option<String>,
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub postal_code: Option<String>,
    pub state: Option<String>,
}

impl Encode for Address {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope
            .opt("city", self.city.as_ref())
            .opt("country", self.country.as_ref())
            .opt("line1", self.line1.as_ref())
            .opt("line2", self.line2.as_ref())
            .opt("postal_code", self.postal_code.as_ref())
            .opt("state", self.state.as_ref());
    }
}

/// A filter on a timestamp, e.g. `created[gte]=...`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimeRange {
    pub gt: Option<i64>,
    pub gte: Option<i64>,
    pub lt: Option<i64>,
    pub lte: Option<i64>,
}

impl TimeRange {
    pub fn since(unix: i64) -> Self {
        Self { gte: Some(unix), ..Self::default() }
    }
}

impl Encode for TimeRange {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.opt("gt", self.gt).opt("gte", self.gte).opt("lt", self.lt).opt("lte", self.lte);
    }
}

/// A `[start, end]` pair of unix timestamps, as on invoice lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Period {
    pub start: i64,
    pub end: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Thing {
        id: String,
    }
    stripe_object!(Thing);

    wire_enum!(Colour { Red = "red", DarkBlue = "dark_blue" } or Unknown);

    #[test]
    fn expandable_fields_decode_either_shape() {
        let id: Expandable<Thing> = serde_json::from_str(r#""th_1""#).unwrap();
        let object: Expandable<Thing> = serde_json::from_str(r#"{"id":"th_2","object":"thing","extra":1}"#).unwrap();
        assert_eq!((id.id(), id.as_object().is_none()), ("th_1", true));
        assert_eq!(object.id(), "th_2");
        assert_eq!(object.as_object().map(|t| t.id.as_str()), Some("th_2"));
    }

    #[test]
    fn wire_enums_map_both_ways_and_tolerate_new_values() {
        let parsed: Vec<Colour> = serde_json::from_str(r#"["red","dark_blue","ultraviolet"]"#).unwrap();
        assert_eq!(parsed, [Colour::Red, Colour::DarkBlue, Colour::Unknown]);
        assert_eq!(Colour::DarkBlue.as_str(), "dark_blue");
    }

    #[test]
    fn amounts_and_ranges_encode_in_brackets() {
        let mut params = crate::server::stripe::client::form::Params::new();
        params.root().object("amount", &Amount::new("jpy", 1200)).object("created", &TimeRange::since(10));
        assert_eq!(
            params.pairs(),
            [("amount[currency]".to_owned(), "jpy".to_owned()), ("amount[value]".to_owned(), "1200".to_owned()), ("created[gte]".to_owned(), "10".to_owned()),]
        );
    }
}
