//! Test clocks (`clock_...`): simulated time for test-mode billing.

use serde::Deserialize;

use super::StripeClient;
use super::common::{stripe_object, wire_enum};
use super::error::StripeError;
use super::form::{Encode, Params, Scope};
use super::idempotency::IdempotencyKey;

wire_enum!(TestClockStatus { Ready = "ready", Advancing = "advancing", InternalFailure = "internal_failure" } or Unknown);

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TestClock {
    pub id: String,
    pub livemode: bool,
    pub created: i64,
    pub frozen_time: i64,
    pub name: Option<String>,
    pub status: TestClockStatus,
    pub deletes_after: Option<i64>,
}
stripe_object!(TestClock);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateTestClock {
    pub frozen_time: i64,
    pub name: Option<String>,
}

impl Encode for CreateTestClock {
    fn encode(&self, scope: &mut Scope<'_>) {
        scope.value("frozen_time", self.frozen_time).opt("name", self.name.as_ref());
    }
}

pub struct TestClocks<'c> {
    client: &'c StripeClient,
}

impl StripeClient {
    pub fn test_clocks(&self) -> TestClocks<'_> {
        TestClocks { client: self }
    }
}

const PATH: [&str; 2] = ["test_helpers", "test_clocks"];

impl TestClocks<'_> {
    pub async fn create(&self, request: &CreateTestClock, key: &IdempotencyKey) -> Result<TestClock, StripeError> {
        self.client.post(&PATH, &Params::of(request), key).await
    }

    pub async fn retrieve(&self, id: &str) -> Result<TestClock, StripeError> {
        self.client.get(&[PATH[0], PATH[1], id], &Params::new()).await
    }

    /// Moves the clock forward to `frozen_time`. Stripe advances asynchronously: the clock is
    /// `advancing` until it reports `ready`.
    pub async fn advance(&self, id: &str, frozen_time: i64, key: &IdempotencyKey) -> Result<TestClock, StripeError> {
        let mut params = Params::new();
        params.root().value("frozen_time", frozen_time);
        self.client.post(&[PATH[0], PATH[1], id, "advance"], &params, key).await
    }
}
