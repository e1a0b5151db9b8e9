//! Test clocks (`clock_`): a frozen time that customers (and their subscriptions and invoices) live
//! on. Advancing one bills every period its subscriptions pass. Stripe advances asynchronously
//! (status `advancing`, then `ready`); the emulator finishes within the request, so the clock it
//! returns is already `ready` (the `.advancing` and `.ready` events are still recorded).

use super::errors::{ApiError, ApiResult};
use super::list::{ListQuery, PAGINATION, list_json, paginate_table};
use super::request::Req;
use super::store::Row;
use super::subscriptions::{self, MAX_PERIODS_PER_ADVANCE};
use super::{Emulator, events, ids};
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Stripe deletes a test clock 30 days after it is created.
const LIFETIME: i64 = 30 * 86_400;

#[derive(Serialize, Deserialize)]
pub struct TestClock {
    pub id: String,
    pub frozen_time: i64,
    created: i64,
    name: Option<String>,
}

impl Row for TestClock {
    fn id(&self) -> &str {
        &self.id
    }
}

impl TestClock {
    pub fn render(&self) -> Value {
        self.render_with_status("ready")
    }

    fn render_with_status(&self, status: &str) -> Value {
        json!({
            "id": self.id,
            "object": "test_helpers.test_clock",
            "created": self.created,
            "deletes_after": self.created + LIFETIME,
            "frozen_time": self.frozen_time,
            "livemode": false,
            "name": self.name,
            "status": status,
            "status_details": {},
        })
    }
}

pub async fn create(State(emu): State<Emulator>, req: Req) -> ApiResult {
    let p = req.fields(&["frozen_time", "name"])?;
    let frozen_time = p.required_timestamp("frozen_time")?;
    let name = p.text("name")?;
    emu.write(&req.meta, |store| {
        let clock = TestClock { id: ids::new_id("clock"), frozen_time, created: store.now(), name };
        let body = clock.render();
        store.test_clocks.insert(clock);
        events::emit(store, "test_helpers.test_clock.created", body.clone(), None);
        req.respond(store, body)
    })
    .await
}

pub async fn retrieve(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    req.fields(&[])?;
    emu.read(|store| {
        let clock = store.test_clocks.get(&id).ok_or_else(|| ApiError::no_such("test_helpers.test_clock", &id))?;
        req.respond(store, clock.render())
    })
    .await
}

pub async fn list(State(emu): State<Emulator>, req: Req) -> ApiResult {
    let query = ListQuery::parse(&req.fields(&PAGINATION)?)?;
    emu.read(|store| {
        let page = paginate_table(&store.test_clocks, &query, |_| true, "test_helpers.test_clock")?;
        let data = page.items.into_iter().map(TestClock::render).collect();
        req.respond(store, list_json("/v1/test_helpers/test_clocks", data, page.has_more))
    })
    .await
}

pub async fn advance(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    let p = req.fields(&["frozen_time"])?;
    let to = p.required_timestamp("frozen_time")?;
    emu.write(&req.meta, |store| {
        let clock = store.test_clocks.get(&id).ok_or_else(|| ApiError::no_such("test_helpers.test_clock", &id))?;
        if to <= clock.frozen_time {
            return Err(ApiError::state(format!("The frozen time ({to}) must be after the test clock's current frozen time ({}).", clock.frozen_time))
                .with_param("frozen_time"));
        }
        let advancing = clock.render_with_status("advancing");
        let on_clock: Vec<String> = store
            .subscriptions
            .rows()
            .iter()
            .filter(|s| s.test_clock.as_deref() == Some(id.as_str()) && s.status != "canceled")
            .map(|s| s.id.clone())
            .collect();
        for sub in on_clock.iter().filter_map(|s| store.subscriptions.get(s)) {
            if sub.periods_ending_by(to)? > MAX_PERIODS_PER_ADVANCE {
                return Err(ApiError::state(format!(
                    "Advancing to {to} would bill more than {MAX_PERIODS_PER_ADVANCE} periods of subscription {}; \
                     advance in smaller steps.",
                    sub.id
                ))
                .with_param("frozen_time"));
            }
        }
        events::emit(store, "test_helpers.test_clock.advancing", advancing, None);
        if let Some(clock) = store.test_clocks.get_mut(&id) {
            clock.frozen_time = to;
        }
        for sub in &on_clock {
            subscriptions::advance_to(store, sub, to)?;
        }
        let body = store.test_clocks.get(&id).map(TestClock::render).unwrap_or_default();
        events::emit(store, "test_helpers.test_clock.ready", body.clone(), None);
        req.respond(store, body)
    })
    .await
}
