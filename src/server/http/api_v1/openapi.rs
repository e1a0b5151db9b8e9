//! The OpenAPI 3.1 description of `/api/v1`, written by hand next to the handlers it describes.

use axum::Json;
use serde_json::{Value, json};

pub async fn document() -> Json<Value> {
    let error = json!({ "$ref": "#/components/schemas/Error" });
    Json(json!({
        "openapi": "3.1.0",
        "info": { "title": "Regio API", "version": "1", "description": "Ledger ingestion from the currency's payment system. Authenticate with `Authorization: Bearer rgk_…` (an API key an admin created)." },
        "servers": [{ "url": "/" }],
        "security": [{ "apiKey": [] }],
        "paths": {
            "/api/v1/transactions": {
                "post": {
                    "summary": "Record a batch of up to 1,000 transactions, all or none",
                    "description": "Each item's `external_ref` is unique per source: sending the same batch again records nothing new and answers with the same ids. One bad item rejects the batch with 422 listing every bad item.",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": {
                        "type": "object", "required": ["transactions"],
                        "properties": { "transactions": { "type": "array", "maxItems": 1000, "items": { "$ref": "#/components/schemas/TransactionInput" } } }
                    } } } },
                    "responses": {
                        "200": { "description": "Recorded (or already recorded)", "content": { "application/json": { "schema": {
                            "type": "object", "properties": { "data": { "type": "array", "items": { "$ref": "#/components/schemas/Posted" } } }
                        } } } },
                        "400": { "description": "Not JSON, or not {\"transactions\": [...]}", "content": { "application/json": { "schema": error } } },
                        "401": { "description": "Missing, unknown or revoked API key", "content": { "application/json": { "schema": error } } },
                        "422": { "description": "Some items are invalid; nothing was recorded", "content": { "application/json": { "schema": error } } }
                    }
                },
                "get": {
                    "summary": "List transactions, newest first",
                    "parameters": [
                        { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 100, "default": 50 } },
                        { "name": "starting_after", "in": "query", "description": "`next_cursor` of the previous page", "schema": { "type": "string" } }
                    ],
                    "responses": { "200": { "description": "A page", "content": { "application/json": { "schema": {
                        "type": "object", "properties": {
                            "data": { "type": "array", "items": { "$ref": "#/components/schemas/Transaction" } },
                            "has_more": { "type": "boolean" }, "next_cursor": { "type": ["string", "null"] }
                        }
                    } } } }, "401": { "description": "No valid API key", "content": { "application/json": { "schema": error } } } }
                }
            },
            "/api/v1/transactions/{id}": {
                "get": {
                    "summary": "Retrieve one transaction with its Stripe mirror state",
                    "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }],
                    "responses": {
                        "200": { "description": "The transaction", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Transaction" } } } },
                        "404": { "description": "No such transaction", "content": { "application/json": { "schema": error } } }
                    }
                }
            },
            "/api/v1/accounts": {
                "post": {
                    "summary": "Open accounts (existing references are left as they are)",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": {
                        "type": "object", "required": ["accounts"], "properties": { "accounts": { "type": "array", "maxItems": 1000, "items": {
                            "type": "object", "required": ["external_ref", "kind", "display_name"], "properties": {
                                "external_ref": { "type": "string" }, "kind": { "enum": ["member", "merchant", "operator"] }, "display_name": { "type": "string" }
                            }
                        } } }
                    } } } },
                    "responses": { "200": { "description": "The accounts" }, "422": { "description": "Invalid items", "content": { "application/json": { "schema": error } } } }
                }
            }
        },
        "components": {
            "securitySchemes": { "apiKey": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "TransactionInput": {
                    "type": "object", "additionalProperties": false,
                    "required": ["external_ref", "kind", "currency", "amount"],
                    "properties": {
                        "external_ref": { "type": "string", "maxLength": 128 },
                        "kind": { "enum": ["top_up", "payment", "refund", "redemption", "adjustment", "invoice_payment"] },
                        "currency": { "type": "string", "examples": ["SRB"] },
                        "amount": { "type": "string", "description": "Decimal in the local currency, at most its exponent's decimals and 10^15 minor units", "examples": ["1500", "12.50"] },
                        "from": { "type": "string", "description": "Account debited (external reference); refunds may leave it out" },
                        "to": { "type": "string", "description": "Account credited (external reference); refunds may leave it out" },
                        "occurred_at": { "type": "string", "format": "date-time" },
                        "description": { "type": "string", "maxLength": 500, "description": "Required for adjustments (the reason)" },
                        "refund_of": { "type": "string", "description": "Refunds: external_ref of the payment" },
                        "corrects": { "type": "string", "description": "Adjustments: external_ref of the corrected transaction" },
                        "invoice": { "type": "string", "description": "Invoice payments: the Stripe invoice paid (in_…); its Payment Record is attached to it" }
                    }
                },
                "Posted": { "type": "object", "properties": {
                    "index": { "type": "integer" }, "id": { "type": "string" }, "external_ref": { "type": "string" }, "created": { "type": "boolean" }
                } },
                "Transaction": { "type": "object", "properties": {
                    "id": { "type": "string" }, "external_ref": { "type": "string" }, "source": { "type": "string" },
                    "kind": { "type": "string" }, "currency": { "type": "string" }, "amount_minor": { "type": "integer" }, "amount": { "type": "string" },
                    "from_account": { "type": "string" }, "to_account": { "type": "string" }, "occurred_at": { "type": "string", "format": "date-time" },
                    "description": { "type": "string" }, "corrects_id": { "type": ["string", "null"] },
                    "fiat_currency": { "type": ["string", "null"] }, "fiat_amount_minor": { "type": ["integer", "null"] },
                    "mirror_state": { "enum": ["not_mirrored", "pending", "delivered", "failed"] },
                    "stripe_payment_record": { "type": ["string", "null"] }, "mirror_error": { "type": ["string", "null"] }
                } },
                "Error": { "type": "object", "properties": { "error": { "type": "object", "properties": {
                    "type": { "type": "string" }, "message": { "type": "string" }, "field": { "type": "string" },
                    "errors": { "type": "array", "items": { "type": "object", "properties": {
                        "index": { "type": "integer" }, "field": { "type": "string" }, "message": { "type": "string" }
                    } } }
                } } } }
            }
        }
    }))
}
