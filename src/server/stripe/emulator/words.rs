//! Fields holding one of a fixed set of words (a status, a collection method) keep it as
//! `&'static str`. A snapshot stores the text; loading maps it back to the word and refuses any
//! other, so a damaged file cannot bring in a value the API would never produce.

use serde::de::{Deserialize, Deserializer, Error};

/// A field holding a word. Named rather than spelled `&'static str` in the field, because serde's
/// derive would otherwise borrow it from the input and only deserialize from `'static` data.
pub type Word = &'static str;

/// A fixed set of words. Where a parameter takes the same words, it is checked against `ALL` too,
/// so the two cannot drift apart.
pub trait Words {
    const ALL: &'static [&'static str];
}

pub fn one<'de, W: Words, D: Deserializer<'de>>(deserializer: D) -> Result<Word, D::Error> {
    known::<W, D::Error>(&String::deserialize(deserializer)?)
}

pub fn optional<'de, W: Words, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Word>, D::Error> {
    Option::<String>::deserialize(deserializer)?.map(|text| known::<W, D::Error>(&text)).transpose()
}

fn known<W: Words, E: Error>(text: &str) -> Result<Word, E> {
    W::ALL.iter().copied().find(|word| *word == text).ok_or_else(|| E::unknown_variant(text, W::ALL))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    struct Colours;

    impl Words for Colours {
        const ALL: &'static [&'static str] = &["red", "green"];
    }

    #[derive(Deserialize)]
    struct Paint {
        #[serde(deserialize_with = "one::<Colours, _>")]
        colour: Word,
        #[serde(deserialize_with = "optional::<Colours, _>")]
        trim: Option<Word>,
    }

    #[test]
    fn known_words_load_and_others_are_refused() {
        let paint: Paint = serde_json::from_str(r#"{"colour": "red", "trim": null}"#).unwrap();
        assert_eq!((paint.colour, paint.trim), ("red", None));
        let paint: Paint = serde_json::from_str(r#"{"colour": "green", "trim": "red"}"#).unwrap();
        assert_eq!((paint.colour, paint.trim), ("green", Some("red")));
        let err = serde_json::from_str::<Paint>(r#"{"colour": "blue", "trim": null}"#).err().unwrap();
        assert!(err.to_string().contains("unknown variant `blue`"), "{err}");
        assert!(serde_json::from_str::<Paint>(r#"{"colour": "red", "trim": "mauve"}"#).is_err());
    }
}
