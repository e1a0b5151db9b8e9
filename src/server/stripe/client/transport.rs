//! Sending one logical request: rate limit, attempt, classify, back off, try again with the
//! same idempotency key.

use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

use super::StripeClient;
use super::error::{ApiError, StripeError};
use super::form::Params;
use super::idempotency::IdempotencyKey;

impl StripeClient {
    /// `<base>/v1/<segments...>`, each segment percent-encoded so an id cannot change the path.
    pub(crate) fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.inner.base_url.clone();
        // The constructor only accepts base URLs that have path segments.
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().push("v1").extend(segments);
        }
        url
    }

    pub(crate) async fn get<T: DeserializeOwned>(&self, segments: &[&str], query: &Params) -> Result<T, StripeError> {
        self.send(Method::GET, with_query(self.url(segments), query), None, None).await
    }

    pub(crate) async fn post<T: DeserializeOwned>(&self, segments: &[&str], form: &Params, key: &IdempotencyKey) -> Result<T, StripeError> {
        self.send(Method::POST, self.url(segments), Some(form.to_form()), Some(key)).await
    }

    pub(crate) async fn delete<T: DeserializeOwned>(&self, segments: &[&str], query: &Params) -> Result<T, StripeError> {
        self.send(Method::DELETE, with_query(self.url(segments), query), None, None).await
    }

    async fn send<T: DeserializeOwned>(&self, method: Method, url: Url, form: Option<String>, key: Option<&IdempotencyKey>) -> Result<T, StripeError> {
        let mut attempt = 1;
        loop {
            self.inner.limiter.acquire().await;
            let error = match self.attempt(&method, &url, form.as_deref(), key, attempt).await {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            if !self.inner.retry.should_retry(attempt, &error) {
                return Err(error);
            }
            let wait = self.inner.retry.backoff(attempt, error.retry_after(), &mut rand::thread_rng());
            tracing::debug!(%method, path = url.path(), attempt, ?wait, %error, "retrying Stripe request");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn attempt<T: DeserializeOwned>(
        &self,
        method: &Method,
        url: &Url,
        form: Option<&str>,
        key: Option<&IdempotencyKey>,
        attempt: u32,
    ) -> Result<T, StripeError> {
        let timeout = self.inner.timeout;
        let mut request = self.inner.http.request(method.clone(), url.clone()).timeout(timeout);
        if let Some(key) = key {
            request = request.header("idempotency-key", key.as_str());
        }
        if let Some(form) = form {
            request = request.header(CONTENT_TYPE, "application/x-www-form-urlencoded").body(form.to_owned());
        }
        let response = request.send().await.map_err(|e| StripeError::from_transport(e, timeout))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(|e| StripeError::from_transport(e, timeout))?;
        tracing::debug!(
            %method,
            path = url.path(),
            attempt,
            status = status.as_u16(),
            replayed = headers.contains_key("idempotent-replayed"),
            "Stripe response"
        );
        if status.is_success() {
            serde_json::from_slice(&body).map_err(|e| decode_error(status, &e, &body))
        } else {
            Err(StripeError::Api(Box::new(ApiError::from_response(status, &headers, &body))))
        }
    }
}

fn with_query(mut url: Url, query: &Params) -> Url {
    if !query.is_empty() {
        url.set_query(Some(&query.to_form()));
    }
    url
}

fn decode_error(status: StatusCode, error: &serde_json::Error, body: &[u8]) -> StripeError {
    let id = serde_json::from_slice::<serde_json::Value>(body).ok().and_then(|v| v.get("id").and_then(|id| id.as_str()).map(str::to_owned));
    StripeError::Decode { status: status.as_u16(), reason: error.to_string(), id }
}
