//! What Payment Records and their attempt records have in common: amounts, the custom payment
//! method, the processor reference, customer and shipping details.

use serde::Deserialize;

use super::common::{Address, Amount, wire_enum};
use super::form::{Encode, Scope};

wire_enum!(CustomerPresence { OnSession = "on_session", OffSession = "off_session" });

wire_enum!(ReportedBy { SelfReported = "self", Stripe = "stripe" } or Unknown);

wire_enum!(
    /// Why a payment attempt failed.
    FailureCode {
        CustomerDecline = "payment_method_customer_decline",
        ProviderUnknownOutcome = "payment_method_provider_unknown_outcome",
    }
);

/// The payment fields shared by `payment_record` and `payment_attempt_record`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PaymentDetails {
    pub amount: Amount,
    pub amount_authorized: Amount,
    pub amount_canceled: Amount,
    pub amount_failed: Amount,
    pub amount_guaranteed: Amount,
    pub amount_refunded: Amount,
    pub amount_requested: Amount,
    pub description: Option<String>,
    pub customer_details: Option<CustomerDetails>,
    pub customer_presence: Option<CustomerPresence>,
    pub payment_method_details: Option<PaymentMethodDetails>,
    pub processor_details: Option<ProcessorDetails>,
    pub reported_by: Option<ReportedBy>,
    pub shipping_details: Option<ShippingDetails>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CustomerDetails {
    /// A `cus_` id.
    pub customer: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
}

impl Encode for CustomerDetails {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.opt("customer", self.customer.as_ref()).opt("email", self.email.as_ref()).opt("name", self.name.as_ref()).opt("phone", self.phone.as_ref());
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ShippingDetails {
    pub address: Option<Address>,
    pub name: Option<String>,
    pub phone: Option<String>,
}

impl Encode for ShippingDetails {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.opt_object("address", self.address.as_ref()).opt("name", self.name.as_ref()).opt("phone", self.phone.as_ref());
    }
}

/// Billing contact of a payment method, in requests and responses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct BillingDetails {
    pub address: Option<Address>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
}

impl Encode for BillingDetails {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.opt_object("address", self.address.as_ref()).opt("email", self.email.as_ref()).opt("name", self.name.as_ref()).opt("phone", self.phone.as_ref());
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PaymentMethodDetails {
    /// `custom` for everything Regio reports.
    #[serde(rename = "type")]
    pub kind: String,
    pub custom: Option<CustomMethod>,
    pub billing_details: Option<BillingDetails>,
    pub payment_method: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CustomMethod {
    pub display_name: Option<String>,
    /// The custom payment method type, `cpmt_...`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProcessorDetails {
    #[serde(rename = "type")]
    pub kind: String,
    pub custom: Option<CustomProcessorDetails>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CustomProcessorDetails {
    pub payment_reference: Option<String>,
}

/// The custom payment method (a local currency) a payment was made with, as reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomPaymentMethod {
    /// The `cpmt_...` type created in the Dashboard.
    pub custom_type: String,
    pub display_name: Option<String>,
    pub billing_details: Option<BillingDetails>,
    /// The customer's `pm_…` of this type, when the payment paid an invoice that asked for it.
    pub payment_method: Option<String>,
}

impl Encode for CustomPaymentMethod {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope
            .value("type", "custom")
            .with("custom", |custom| {
                custom.value("type", &self.custom_type).opt("display_name", self.display_name.as_ref());
            })
            .opt_object("billing_details", self.billing_details.as_ref())
            .opt("payment_method", self.payment_method.as_ref());
    }
}

/// `processor_details` for a payment handled outside Stripe: our own reference for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomProcessor {
    pub payment_reference: String,
}

impl Encode for CustomProcessor {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.value("type", "custom").with("custom", |custom| {
            custom.value("payment_reference", &self.payment_reference);
        });
    }
}

/// How a reported payment (or attempt) ended, when already known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentOutcome {
    Guaranteed { guaranteed_at: i64 },
    Failed { failed_at: i64, failure_code: Option<FailureCode> },
}

impl Encode for PaymentOutcome {
    fn encode(&self, scope: &mut Scope<'_>) {
        match self {
            Self::Guaranteed { guaranteed_at } => {
                scope.value("outcome", "guaranteed").with("guaranteed", |g| {
                    g.value("guaranteed_at", *guaranteed_at);
                });
            }
            Self::Failed { failed_at, failure_code } => {
                scope.value("outcome", "failed").with("failed", |f| {
                    f.value("failed_at", *failed_at).opt("failure_code", *failure_code);
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::stripe::client::form::Params;

    #[test]
    fn outcomes_write_the_outcome_and_its_timestamp() {
        let mut params = Params::new();
        PaymentOutcome::Failed { failed_at: 5, failure_code: Some(FailureCode::CustomerDecline) }.encode(&mut params.root());
        assert_eq!(params.to_form(), "outcome=failed&failed%5Bfailed_at%5D=5&failed%5Bfailure_code%5D=payment_method_customer_decline");
        let params = Params::of(&PaymentOutcome::Guaranteed { guaranteed_at: 7 });
        assert_eq!(params.get("guaranteed[guaranteed_at]"), Some("7"));
        assert_eq!(params.get("outcome"), Some("guaranteed"));
    }

    #[test]
    fn custom_payment_method_and_processor_nest_under_their_type() {
        let mut params = Params::new();
        params
            .root()
            .object(
                "payment_method_details",
                &CustomPaymentMethod {
                    custom_type: "cpmt_1".into(),
                    display_name: Some("Regio".into()),
                    billing_details: Some(BillingDetails { name: Some("Aiko".into()), ..Default::default() }),
                    payment_method: Some("pm_1".into()),
                },
            )
            .object("processor_details", &CustomProcessor { payment_reference: "tx_9".into() });
        let pairs: Vec<(&str, &str)> = params.pairs().iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            pairs,
            [
                ("payment_method_details[type]", "custom"),
                ("payment_method_details[custom][type]", "cpmt_1"),
                ("payment_method_details[custom][display_name]", "Regio"),
                ("payment_method_details[billing_details][name]", "Aiko"),
                ("payment_method_details[payment_method]", "pm_1"),
                ("processor_details[type]", "custom"),
                ("processor_details[custom][payment_reference]", "tx_9"),
            ]
        );
    }
}
