//! The dashboard's figures and charts, for every signed-in role.

use crate::domain::AppError;
use crate::domain::dashboard::Dashboard;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {super::guard::guarded, crate::domain::Role, crate::server::dashboard};

#[server(prefix = "/rpc", endpoint = "dashboard", output = crate::api::codec::Json)]
pub async fn get_dashboard() -> Result<Dashboard, AppError> {
    guarded(Role::Viewer, |ctx| async move {
        dashboard::read(&ctx.state.db, ctx.state.config.recon_interval, ctx.state.clock.now_ms(), ctx.locale, ctx.utc_offset).await
    })
    .await
}
