use crate::api::dashboard::get_dashboard;
use crate::components::notice::ErrorNotice;
use crate::components::recon_summary::SummaryGrid;
use crate::components::time::local_time;
use crate::domain::dashboard::{Chart, CurrencyVolume, Dashboard, MirrorHealth};
use crate::domain::recon::{RunStatus, RunView};
use crate::i18n::{fill, use_texts};
use leptos::prelude::*;
use leptos_meta::Title;

/// The operator's day: payments, how the mirror to Stripe keeps up, what waits for someone,
/// and daily charts. Every figure links to the list behind it.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let dashboard = Resource::new(|| (), |_| get_dashboard());
    let t = use_texts();
    view! {
        <Title text=t.nav_dashboard/>
        <h1>{t.nav_dashboard}</h1>
        <Suspense fallback=move || view! { <p class="muted">{t.loading}</p> }>
            {move || Suspend::new(async move {
                match dashboard.await {
                    Ok(d) => view! { <Figures d/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Figures(d: Dashboard) -> impl IntoView {
    let Dashboard { as_of, volume, mirror, cases, open_cases, refunds_awaiting, invoices_awaiting, oldest_invoice_wait, last_run, charts } = d;
    let t = use_texts();
    view! {
        <p class="muted">{fill(t.as_of, &[&as_of])}</p>
        <section class="tiles" aria-label=t.attention>
            <MirrorTiles mirror/>
            <Tile href="/reconciliation?state=open#queue" label=t.open_cases value=open_cases.to_string() note=None alert={open_cases > 0}/>
            <Tile href="/refunds?stage=pending_approval" label=t.refunds_awaiting value=refunds_awaiting.to_string() note=None alert={refunds_awaiting > 0}/>
            <Tile
                href="/billing/awaiting"
                label=t.invoices_awaiting
                value=invoices_awaiting.to_string()
                note=oldest_invoice_wait.map(|w| fill(t.oldest_waits, &[&w]))
                alert=false
            />
            <LastRun run=last_run/>
        </section>
        <section class="panel">
            <h2>{t.payments}</h2>
            <Volume volume/>
        </section>
        <section class="panel">
            <h2>{t.live_cases}</h2>
            <SummaryGrid cells=cases/>
        </section>
        <section class="charts" aria-label=t.charts>
            {charts.into_iter().map(|c| view! { <ChartFigure c/> }).collect_view()}
        </section>
    }
}

/// One figure and the list it counts.
#[component]
fn Tile(href: &'static str, label: &'static str, value: String, note: Option<String>, alert: bool) -> impl IntoView {
    view! {
        <a class="tile" class:alert=alert href=href>
            <span class="tile-label">{label}</span>
            <span class="tile-value">{value}</span>
            {note.map(|n| view! { <span class="tile-note">{n}</span> })}
        </a>
    }
}

#[component]
fn MirrorTiles(mirror: MirrorHealth) -> impl IntoView {
    let MirrorHealth { delivered, pending, failed, delivered_share, pending_now, failed_now, oldest_pending } = mirror;
    let t = use_texts();
    let share_note = Some(fill(t.mirrored_note, &[&delivered.to_string(), &(delivered + pending + failed).to_string()]));
    view! {
        <Tile href="/transactions?mirror_state=delivered" label=t.mirrored_to_stripe value=delivered_share.unwrap_or_else(|| "—".into()) note=share_note alert=false/>
        <Tile
            href="/transactions?mirror_state=pending"
            label=t.waiting_for_stripe
            value=pending_now.to_string()
            note=oldest_pending.map(|age| fill(t.oldest_waits, &[&age]))
            alert=false
        />
        <Tile href="/transactions?mirror_state=failed" label=t.failed_deliveries value=failed_now.to_string() note=None alert={failed_now > 0}/>
    }
}

#[component]
fn LastRun(run: Option<RunView>) -> impl IntoView {
    let t = use_texts();
    let (value, note) = match run {
        Some(r) => {
            let found: i64 = r.breaks.iter().map(|(_, n)| n).sum();
            let when = local_time(&r.finished_at.unwrap_or(r.started_at));
            let status = match r.status {
                RunStatus::Running => t.run_running,
                RunStatus::Succeeded => t.run_succeeded,
                RunStatus::Failed => t.run_failed,
            };
            (status.to_string(), Some(if found == 0 { when } else { fill(t.run_breaks, &[&when, &found.to_string()]) }))
        }
        None => (t.no_run_yet.to_string(), None),
    };
    view! { <Tile href="/reconciliation" label=t.last_run value note alert=false/> }
}

#[component]
fn Volume(volume: Vec<CurrencyVolume>) -> impl IntoView {
    let t = use_texts();
    if volume.is_empty() {
        return view! { <p class="muted">{t.no_payments}</p> }.into_any();
    }
    view! {
        <table class="data volume">
            <thead>
                <tr>
                    <th>{t.currency}</th>
                    <th>{t.period}</th>
                    <th class="num">{t.payments}</th>
                    <th class="num">{t.local_currency}</th>
                    <th class="num">{t.reported_to_stripe}</th>
                </tr>
            </thead>
            <tbody>
                {volume.into_iter().flat_map(|v| {
                    let currency = v.currency;
                    v.windows.into_iter().map(move |w| {
                        let href = format!("/transactions?kind=payment&currency={currency}&from={}", w.from);
                        let period = if w.days == 1 { t.today.to_string() } else { fill(t.last_days, &[&w.days.to_string()]) };
                        view! {
                            <tr>
                                <td>{currency.clone()}</td>
                                <td>{period}</td>
                                <td class="num"><a href=href>{w.count}</a></td>
                                <td class="num">{w.local}</td>
                                <td class="num">{w.fiat}</td>
                            </tr>
                        }
                    })
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// A chart the server drew: its SVG goes in as it came, so it needs no script to show.
#[component]
fn ChartFigure(c: Chart) -> impl IntoView {
    view! {
        <figure class="chart panel">
            <figcaption>{c.title}</figcaption>
            <div class="chart-body" inner_html=c.svg></div>
        </figure>
    }
}
