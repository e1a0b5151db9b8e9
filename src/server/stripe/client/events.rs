//! Events (`evt_...`): what changed, as listed by `GET /v1/events` and delivered to webhooks.

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::StripeClient;
use super::common::{TimeRange, stripe_object};
use super::error::StripeError;
use super::form::{Encode, Params, Scope};
use super::list::{ListOptions, Pager};

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Event {
    pub id: String,
    /// e.g. `invoice.paid`.
    #[serde(rename = "type")]
    pub kind: String,
    pub created: i64,
    pub livemode: bool,
    pub api_version: Option<String>,
    pub data: EventData,
    pub pending_webhooks: Option<i64>,
    pub request: Option<EventRequest>,
}
stripe_object!(Event);

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EventData {
    /// The object as it was right after the change; decode it with [`Event::object`].
    pub object: serde_json::Value,
    pub previous_attributes: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EventRequest {
    pub id: Option<String>,
    pub idempotency_key: Option<String>,
}

impl Event {
    /// The event's object as a typed Stripe object, e.g. `event.object::<Invoice>()`.
    pub fn object<T: DeserializeOwned>(&self) -> Result<T, StripeError> {
        T::deserialize(&self.data.object).map_err(|e| StripeError::Decode { status: 200, reason: format!("event {} object: {e}", self.id), id: None })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListEvents {
    /// One type, or a wildcard such as `invoice.*`.
    pub kind: Option<String>,
    /// Several types (at most 20).
    pub types: Vec<String>,
    pub created: Option<TimeRange>,
    pub delivery_success: Option<bool>,
    pub page: ListOptions,
}

impl Encode for ListEvents {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope
            .opt("type", self.kind.as_ref())
            .indexed("types", &self.types)
            .opt_object("created", self.created.as_ref())
            .opt("delivery_success", self.delivery_success);
    }
}

pub struct Events<'c> {
    client: &'c StripeClient,
}

impl StripeClient {
    pub fn events(&self) -> Events<'_> {
        Events { client: self }
    }
}

const PATH: &str = "events";

impl Events<'_> {
    pub async fn retrieve(&self, id: &str) -> Result<Event, StripeError> {
        self.client.get(&[PATH, id], &Params::new()).await
    }

    pub fn list(&self, request: &ListEvents) -> Pager<Event> {
        Pager::new(self.client, &[PATH], Params::of(request), &request.page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::stripe::client::invoices::{Invoice, InvoiceStatus};

    #[test]
    fn list_filters_encode_type_and_created_range() {
        let request = ListEvents { kind: Some("invoice.paid".into()), created: Some(TimeRange::since(100)), ..Default::default() };
        assert_eq!(Params::of(&request).to_form(), "type=invoice.paid&created%5Bgte%5D=100");
    }

    #[test]
    fn an_event_decodes_and_yields_its_typed_object() {
        let event: Event = serde_json::from_str(
            r#"{"id":"evt_1","object":"event","type":"invoice.paid","created":7,"livemode":false,
                "api_version":"2026-10-28.endive","pending_webhooks":1,
                "request":{"id":"req_1","idempotency_key":"attach_payment/in_1"},
                "data":{"object":{"id":"in_1","object":"invoice","livemode":false,"created":1,"customer":"cus_1",
                                  "status":"paid","currency":"jpy","amount_due":3000,"amount_paid":3000,
                                  "amount_remaining":0,"total":3000,"metadata":{}},
                        "previous_attributes":{"status":"open"}}}"#,
        )
        .unwrap();
        assert_eq!(event.kind, "invoice.paid");
        assert_eq!(event.request.as_ref().and_then(|r| r.idempotency_key.as_deref()), Some("attach_payment/in_1"));
        let invoice: Invoice = event.object().unwrap();
        assert_eq!(invoice.status, Some(InvoiceStatus::Paid));
        assert!(matches!(event.object::<crate::server::stripe::client::test_clocks::TestClock>(), Err(StripeError::Decode { .. })));
    }
}
