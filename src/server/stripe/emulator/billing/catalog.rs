//! Products (`prod_`) and prices (`price_`): per-unit prices, one-time or recurring.

use crate::server::stripe::emulator::errors::{ApiError, ApiResult};
use crate::server::stripe::emulator::list::{ListQuery, PAGINATION, list_json, paginate_table};
use crate::server::stripe::emulator::params::{Fields, Metadata};
use crate::server::stripe::emulator::request::Req;
use crate::server::stripe::emulator::store::{Row, Store};
use crate::server::stripe::emulator::words::{self, Word, Words};
use crate::server::stripe::emulator::{Emulator, events, ids};
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Serialize, Deserialize)]
pub struct Product {
    pub id: String,
    pub name: String,
    created: i64,
    description: Option<String>,
    active: bool,
    metadata: Metadata,
}

impl Row for Product {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Product {
    pub fn render(&self) -> Value {
        json!({
            "id": self.id,
            "object": "product",
            "active": self.active,
            "created": self.created,
            "default_price": null,
            "description": self.description,
            "images": [],
            "livemode": false,
            "marketing_features": [],
            "metadata": self.metadata,
            "name": self.name,
            "package_dimensions": null,
            "shippable": null,
            "statement_descriptor": null,
            "tax_code": null,
            "type": "service",
            "unit_label": null,
            "updated": self.created,
            "url": null,
        })
    }
}

pub struct Interval;

impl Words for Interval {
    const ALL: &'static [&'static str] = &["day", "week", "month", "year"];
}

/// A billing period: `interval_count` days, weeks, months or years.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recurring {
    #[serde(deserialize_with = "words::one::<Interval, _>")]
    pub interval: Word,
    pub count: i64,
}

#[derive(Serialize, Deserialize)]
pub struct Price {
    pub id: String,
    pub product: String,
    pub currency: String,
    pub unit_amount: i64,
    pub recurring: Option<Recurring>,
    pub active: bool,
    created: i64,
    nickname: Option<String>,
    lookup_key: Option<String>,
    metadata: Metadata,
}

impl Row for Price {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Price {
    pub fn kind(&self) -> &'static str {
        if self.recurring.is_some() { "recurring" } else { "one_time" }
    }

    pub fn render(&self) -> Value {
        let recurring = self.recurring.map(|r| {
            json!({
                "interval": r.interval,
                "interval_count": r.count,
                "meter": null,
                "trial_period_days": null,
                "usage_type": "licensed",
            })
        });
        json!({
            "id": self.id,
            "object": "price",
            "active": self.active,
            "billing_scheme": "per_unit",
            "created": self.created,
            "currency": self.currency,
            "custom_unit_amount": null,
            "livemode": false,
            "lookup_key": self.lookup_key,
            "metadata": self.metadata,
            "nickname": self.nickname,
            "product": self.product,
            "recurring": recurring,
            "tax_behavior": "unspecified",
            "tiers_mode": null,
            "transform_quantity": null,
            "type": self.kind(),
            "unit_amount": self.unit_amount,
            "unit_amount_decimal": self.unit_amount.to_string(),
        })
    }
}

/// A price, for a parameter naming one.
pub fn price<'a>(store: &'a Store, id: &str, param: &str) -> Result<&'a Price, ApiError> {
    store.prices.get(id).ok_or_else(|| ApiError::no_such_param("price", id, param))
}

pub async fn create_product(State(emu): State<Emulator>, req: Req) -> ApiResult {
    let p = req.fields(&["active", "description", "id", "metadata", "name"])?;
    let name = p.required_str("name")?.to_string();
    let id = p.text("id")?;
    let description = p.text("description")?;
    let active = p.bool("active")?.unwrap_or(true);
    let metadata = p.new_metadata("metadata")?;
    emu.write(&req.meta, |store| {
        if let Some(taken) = id.as_ref().filter(|id| store.products.contains(id)) {
            return Err(ApiError::state(format!("Product already exists: {taken}")).with_param("id").with_code("resource_already_exists"));
        }
        let product = Product { id: id.unwrap_or_else(|| ids::new_id("prod")), name, created: store.now(), description, active, metadata };
        let body = product.render();
        store.products.insert(product);
        events::emit(store, "product.created", body.clone(), None);
        req.respond(store, body)
    })
    .await
}

pub async fn retrieve_product(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    req.fields(&[])?;
    emu.read(|store| {
        let product = store.products.get(&id).ok_or_else(|| ApiError::no_such("product", &id))?;
        req.respond(store, product.render())
    })
    .await
}

pub async fn list_products(State(emu): State<Emulator>, req: Req) -> ApiResult {
    let p = req.fields(&[&PAGINATION[..], &["active"]].concat())?;
    let query = ListQuery::parse(&p)?;
    let active = p.bool("active")?;
    emu.read(|store| {
        let page = paginate_table(&store.products, &query, |x| active.is_none_or(|a| x.active == a), "product")?;
        let data = page.items.into_iter().map(Product::render).collect();
        req.respond(store, list_json("/v1/products", data, page.has_more))
    })
    .await
}

fn recurring(p: &Fields<'_>) -> Result<Option<Recurring>, ApiError> {
    let Some(r) = p.object("recurring", &["interval", "interval_count"])? else { return Ok(None) };
    let interval = r.required_one_of("interval", Interval::ALL)?;
    // Stripe allows at most one year between bills.
    let max = match interval {
        "day" => 365,
        "week" => 52,
        "month" => 12,
        _ => 1,
    };
    let count = r.bounded("interval_count", 1, max)?.unwrap_or(1);
    Ok(Some(Recurring { interval, count }))
}

/// A new price's product: an existing one, or one made from `product_data`.
enum ProductRef {
    Existing(String),
    New(String, Metadata),
}

pub async fn create_price(State(emu): State<Emulator>, req: Req) -> ApiResult {
    let p = req.fields(&["active", "currency", "lookup_key", "metadata", "nickname", "product", "product_data", "recurring", "unit_amount"])?;
    let currency = p.required_currency("currency")?;
    let unit_amount = p.required_amount("unit_amount")?;
    let recurring = recurring(&p)?;
    let product = match (p.text("product")?, p.object("product_data", &["name", "metadata"])?) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_value("product_data", "You may only specify one of these parameters: product, product_data."));
        }
        (None, None) => return Err(ApiError::missing("product")),
        (None, Some(data)) => ProductRef::New(data.required_str("name")?.to_string(), data.new_metadata("metadata")?),
        (Some(id), None) => ProductRef::Existing(id),
    };
    let (active, nickname, lookup_key) = (p.bool("active")?.unwrap_or(true), p.text("nickname")?, p.text("lookup_key")?);
    let metadata = p.new_metadata("metadata")?;
    emu.write(&req.meta, |store| {
        let product_id = match product {
            ProductRef::Existing(id) => {
                store.products.get(&id).ok_or_else(|| ApiError::no_such_param("product", &id, "product"))?;
                id
            }
            ProductRef::New(name, metadata) => {
                let product = Product { id: ids::new_id("prod"), name, created: store.now(), description: None, active: true, metadata };
                let (id, body) = (product.id.clone(), product.render());
                store.products.insert(product);
                events::emit(store, "product.created", body, None);
                id
            }
        };
        let price = Price {
            id: ids::new_id("price"),
            product: product_id,
            currency,
            unit_amount,
            recurring,
            active,
            created: store.now(),
            nickname,
            lookup_key,
            metadata,
        };
        let body = price.render();
        store.prices.insert(price);
        events::emit(store, "price.created", body.clone(), None);
        req.respond(store, body)
    })
    .await
}

pub async fn retrieve_price(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    req.fields(&[])?;
    emu.read(|store| {
        let price = store.prices.get(&id).ok_or_else(|| ApiError::no_such("price", &id))?;
        req.respond(store, price.render())
    })
    .await
}

/// Changes what Stripe lets change on a price: whether it is active (archiving), its nickname
/// and metadata; amounts are fixed once made.
pub async fn update_price(State(emu): State<Emulator>, Path(id): Path<String>, req: Req) -> ApiResult {
    let p = req.fields(&["active", "metadata", "nickname"])?;
    let active = p.bool("active")?;
    let nickname = p.text_update("nickname")?;
    let metadata = p.metadata("metadata")?;
    emu.write(&req.meta, |store| {
        let price = store.prices.get_mut(&id).ok_or_else(|| ApiError::no_such("price", &id))?;
        let next_metadata = metadata.as_ref().map(|m| m.applied(&price.metadata)).transpose()?;
        let before = price.render();
        if let Some(active) = active {
            price.active = active;
        }
        if let Some(nickname) = nickname {
            price.nickname = nickname;
        }
        if let Some(m) = next_metadata {
            price.metadata = m;
        }
        let body = price.render();
        events::emit_update(store, "price.updated", &before, body.clone());
        req.respond(store, body)
    })
    .await
}

pub async fn list_prices(State(emu): State<Emulator>, req: Req) -> ApiResult {
    let p = req.fields(&[&PAGINATION[..], &["active", "currency", "product", "type"]].concat())?;
    let query = ListQuery::parse(&p)?;
    let active = p.bool("active")?;
    let currency = p.currency("currency")?;
    let product = p.text("product")?;
    let kind = p.one_of("type", &["one_time", "recurring"])?;
    emu.read(|store| {
        let keep = |x: &Price| {
            active.is_none_or(|a| x.active == a)
                && currency.as_ref().is_none_or(|c| x.currency == *c)
                && product.as_ref().is_none_or(|pr| x.product == *pr)
                && kind.is_none_or(|k| x.kind() == k)
        };
        let page = paginate_table(&store.prices, &query, keep, "price")?;
        let data = page.items.into_iter().map(Price::render).collect();
        req.respond(store, list_json("/v1/prices", data, page.has_more))
    })
    .await
}
