use crate::components::shell::AppShell;
use crate::i18n::{Reading, request_locale, request_utc_offset, texts};
use crate::pages::{
    account::AccountDetailPage,
    accounts::AccountsPage,
    audit::AuditLogPage,
    billing::{
        dunning::AwaitingFundsPage,
        events::StripeEventsPage,
        invoice::InvoicePage,
        invoice_new::NewInvoicePage,
        invoices::InvoicesPage,
        subscriptions::{PlansPage, SubscriptionsPage},
    },
    dashboard::DashboardPage,
    import::{ImportDetailPage, ImportPage},
    login::LoginPage,
    recon_case::ReconCasePage,
    reconciliation::ReconciliationPage,
    refunds::RefundsPage,
    search::SearchPage,
    settings::SettingsPage,
    transaction::TransactionPage,
    transactions::TransactionsPage,
    users::UsersPage,
};
use leptos::prelude::*;
use leptos_meta::{Link, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang=request_locale().as_str() data-utc-offset=request_utc_offset()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let locale = request_locale();
    provide_context(Reading { locale, utc_offset: request_utc_offset() });
    let t = texts(locale);
    view! {
        <Stylesheet id="leptos" href="/pkg/regio.css"/>
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg"/>
        <Title formatter=|page: String| if page.is_empty() { "Regio".to_string() } else { format!("{page} · Regio") }/>
        <Router>
            <Routes fallback=move || view! { <p class="page-message">{t.not_found}</p> }>
                <Route path=path!("/login") view=LoginPage/>
                <ParentRoute path=path!("") view=AppShell>
                    <Route path=path!("") view=DashboardPage/>
                    <Route path=path!("users") view=UsersPage/>
                    <Route path=path!("audit") view=AuditLogPage/>
                    <Route path=path!("transactions") view=TransactionsPage/>
                    <Route path=path!("transactions/:id") view=TransactionPage/>
                    <Route path=path!("import") view=ImportPage/>
                    <Route path=path!("imports/:id") view=ImportDetailPage/>
                    <Route path=path!("reconciliation") view=ReconciliationPage/>
                    <Route path=path!("reconciliation/cases/:id") view=ReconCasePage/>
                    <Route path=path!("refunds") view=RefundsPage/>
                    <Route path=path!("search") view=SearchPage/>
                    <Route path=path!("billing") view=InvoicesPage/>
                    <Route path=path!("billing/new") view=NewInvoicePage/>
                    <Route path=path!("billing/invoices/:id") view=InvoicePage/>
                    <Route path=path!("billing/subscriptions") view=SubscriptionsPage/>
                    <Route path=path!("billing/plans") view=PlansPage/>
                    <Route path=path!("billing/awaiting") view=AwaitingFundsPage/>
                    <Route path=path!("billing/events") view=StripeEventsPage/>
                    <Route path=path!("accounts") view=AccountsPage/>
                    <Route path=path!("accounts/:id") view=AccountDetailPage/>
                    <Route path=path!("settings") view=SettingsPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
