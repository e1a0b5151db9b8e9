//! Webhook endpoints (`we_...`): where Stripe delivers events.

use serde::Deserialize;

use super::StripeClient;
use super::common::{Metadata, stripe_object};
use super::error::StripeError;
use super::form::{Encode, Params, Scope};
use super::idempotency::IdempotencyKey;
use super::list::{ListOptions, Pager};
use super::webhook::WebhookSecret;

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WebhookEndpoint {
    pub id: String,
    pub livemode: bool,
    pub created: i64,
    pub url: String,
    #[serde(default)]
    pub enabled_events: Vec<String>,
    /// `enabled` or `disabled`.
    pub status: Option<String>,
    pub api_version: Option<String>,
    pub description: Option<String>,
    /// The signing secret; Stripe returns it only when the endpoint is created.
    pub secret: Option<WebhookSecret>,
    #[serde(default)]
    pub metadata: Metadata,
}
stripe_object!(WebhookEndpoint);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateWebhookEndpoint {
    pub url: String,
    /// Event types, or `*` for all.
    pub enabled_events: Vec<String>,
    /// Pins the shape of delivered events; the account default applies otherwise.
    pub api_version: Option<String>,
    pub description: Option<String>,
    pub metadata: Metadata,
}

impl Encode for CreateWebhookEndpoint {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope
            .value("url", &self.url)
            .indexed("enabled_events", &self.enabled_events)
            .opt("api_version", self.api_version.as_ref())
            .opt("description", self.description.as_ref())
            .map("metadata", &self.metadata);
    }
}

pub struct WebhookEndpoints<'c> {
    client: &'c StripeClient,
}

impl StripeClient {
    pub fn webhook_endpoints(&self) -> WebhookEndpoints<'_> {
        WebhookEndpoints { client: self }
    }
}

impl WebhookEndpoints<'_> {
    pub async fn create(&self, request: &CreateWebhookEndpoint, key: &IdempotencyKey) -> Result<WebhookEndpoint, StripeError> {
        self.client.post(&["webhook_endpoints"], &Params::of(request), key).await
    }

    pub fn list(&self, page: &ListOptions) -> Pager<WebhookEndpoint> {
        Pager::new(self.client, &["webhook_endpoints"], Params::new(), page)
    }

    pub async fn delete(&self, id: &str) -> Result<serde_json::Value, StripeError> {
        self.client.delete(&["webhook_endpoints", id], &Params::new()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_decodes_but_is_not_printed() {
        let endpoint: WebhookEndpoint = serde_json::from_str(
            r#"{"id":"we_1","object":"webhook_endpoint","livemode":false,"created":1,"url":"http://127.0.0.1:9/hook",
                "enabled_events":["invoice.paid"],"status":"enabled","api_version":null,"description":null,
                "secret":"whsec_abc123","metadata":{}}"#,
        )
        .unwrap();
        assert_eq!(endpoint.secret.as_ref().map(WebhookSecret::expose), Some("whsec_abc123"));
        assert!(!format!("{endpoint:?}").contains("abc123"));
    }

    #[test]
    fn enabled_events_are_an_indexed_array() {
        let request = CreateWebhookEndpoint {
            url: "https://regio.example/stripe/webhook".into(),
            enabled_events: vec!["invoice.paid".into(), "invoice.created".into()],
            api_version: Some("2026-10-28.endive".into()),
            description: None,
            metadata: Metadata::new(),
        };
        let params = Params::of(&request);
        assert_eq!(params.get("enabled_events[0]"), Some("invoice.paid"));
        assert_eq!(params.get("enabled_events[1]"), Some("invoice.created"));
        assert_eq!(params.get("api_version"), Some("2026-10-28.endive"));
    }
}
