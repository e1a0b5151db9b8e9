//! How server functions' answers travel: JSON, as with Leptos' own `Json`, but decoded from text.
//!
//! A page's first data comes inside its HTML and Leptos decodes it from a `&str`; a server
//! function's answer came as bytes and Leptos' `Json` decoded it with `serde_json::from_slice`.
//! So the browser bundle held every answer type's decoder twice, once per kind of input, and
//! serde_json was a sixth of its code. Decoding answers from text as well keeps one of each.

use leptos::server_fn::codec::Post;
use leptos::server_fn::serde::de::Error as _;
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// JSON decoded from text.
pub struct JsonText;

impl ContentType for JsonText {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for JsonText {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for JsonText {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for JsonText {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(serde_json::Error::custom)?;
        serde_json::from_str(text)
    }
}

/// Every server function's answer: `#[server(…, output = Json)]`.
pub type Json = Post<JsonText>;
