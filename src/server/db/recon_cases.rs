//! Reconciliation cases and their history.

use super::DAY_MS;
use super::{DbTx, Param, SqlFilter, insert_rows, new_id, select_in};
use crate::domain::Message;
use crate::domain::locale::Locale;
use crate::domain::money::Money;
use crate::domain::recon::{BreakClass, CaseState, Differs, RUN_ACTOR};
use crate::say;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashMap;

/// A break as one run found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    pub class: BreakClass,
    pub subject: String,
    pub transaction_id: Option<String>,
    pub record_id: Option<String>,
    pub account_id: Option<String>,
    /// In the local currency (an orphan's, converted at the peg).
    pub amount: Money,
    pub differs: Differs,
}

impl Sighting {
    /// What differs in English, kept in `summary` for exports and the history.
    pub fn summary(&self) -> String {
        self.differs.english()
    }

    /// The description in both languages, for the case's history.
    fn described(&self) -> Message {
        Message { en: self.summary(), ja: Some(self.differs.text_in(Locale::Ja)) }
    }

    fn differs_json(&self) -> Result<String, sqlx::Error> {
        serde_json::to_string(&self.differs).map_err(|e| sqlx::Error::Encode(Box::new(e)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRecord {
    pub id: String,
    pub class: BreakClass,
    pub transaction_id: Option<String>,
    pub record_id: Option<String>,
    pub account_id: Option<String>,
    pub account_name: Option<String>,
    pub amount: Money,
    pub summary: String,
    /// `None` for a case last seen before Regio kept it as data (shown as `summary`).
    pub differs: Option<Differs>,
    pub state: CaseState,
    pub first_seen: i64,
    pub last_seen: i64,
    pub assignee_id: Option<String>,
    pub assignee_name: Option<String>,
}

/// When the last run that finished started. Every such run sees each live case again (or
/// closes it), so a live case was last seen by it unless something newer touched the case;
/// runs do not rewrite every live case to say so.
const LAST_RUN: &str = "(SELECT MAX(started_at) FROM recon_runs WHERE status = 'succeeded')";

fn last_seen(alias: &str) -> String {
    format!("CASE WHEN {alias}last_seen < COALESCE({LAST_RUN}, 0) THEN {LAST_RUN} ELSE {alias}last_seen END")
}

static SELECT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT c.id, c.class, c.transaction_id, c.record_id, c.account_id, a.display_name AS account_name, \
         c.currency, c.amount, c.summary, c.differs, c.state, c.first_seen, \
         CASE WHEN c.state = 'closed' THEN c.last_seen ELSE {} END AS last_seen, c.assignee_id, u.name AS assignee_name \
         FROM recon_cases c LEFT JOIN accounts a ON a.id = c.account_id LEFT JOIN users u ON u.id = c.assignee_id WHERE 1 = 1",
        last_seen("c.")
    )
});

fn parse<T: std::str::FromStr<Err = String>>(value: String) -> Result<T, sqlx::Error> {
    value.parse().map_err(|e: String| sqlx::Error::Decode(e.into()))
}

fn parse_differs(value: Option<String>) -> Result<Option<Differs>, sqlx::Error> {
    value.map(|v| serde_json::from_str(&v).map_err(|e| sqlx::Error::Decode(e.into()))).transpose()
}

fn from_row(row: &AnyRow) -> Result<CaseRecord, sqlx::Error> {
    Ok(CaseRecord {
        id: row.try_get("id")?,
        class: parse(row.try_get("class")?)?,
        transaction_id: row.try_get("transaction_id")?,
        record_id: row.try_get("record_id")?,
        account_id: row.try_get("account_id")?,
        account_name: row.try_get("account_name")?,
        amount: Money::new(row.try_get("amount")?, row.try_get::<String, _>("currency")?),
        summary: row.try_get("summary")?,
        differs: parse_differs(row.try_get("differs")?)?,
        state: parse(row.try_get("state")?)?,
        first_seen: row.try_get("first_seen")?,
        last_seen: row.try_get("last_seen")?,
        assignee_id: row.try_get("assignee_id")?,
        assignee_name: row.try_get("assignee_name")?,
    })
}

/// Live (open or ignored) cases by `(class, subject)`: what a run compares its findings with.
pub async fn live_keys(tx: &mut DbTx) -> Result<HashMap<(String, String), String>, sqlx::Error> {
    sqlx::query("SELECT id, class, subject FROM recon_cases WHERE state <> 'closed'")
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|row| Ok(((row.try_get("class")?, row.try_get("subject")?), row.try_get("id")?)))
        .collect()
}

/// Opens a case for each new sighting (with an "opened" event); returns the new ids.
pub async fn open(tx: &mut DbTx, sightings: &[Sighting], now: i64) -> Result<Vec<String>, sqlx::Error> {
    let ids: Vec<String> = sightings.iter().map(|_| new_id()).collect();
    let rows = sightings
        .iter()
        .zip(&ids)
        .map(|(s, id)| {
            Ok(vec![
                Param::Text(id.clone()),
                Param::Text(s.class.as_str().into()),
                Param::Text(s.subject.clone()),
                Param::OptText(s.transaction_id.clone()),
                Param::OptText(s.record_id.clone()),
                Param::OptText(s.account_id.clone()),
                Param::Text(s.amount.currency.clone()),
                Param::Int(s.amount.minor),
                Param::Text(s.summary()),
                Param::Text(s.differs_json()?),
                Param::Text("open".into()),
                Param::Int(now),
                Param::Int(now),
                Param::Int(now),
            ])
        })
        .collect::<Result<_, sqlx::Error>>()?;
    let columns = [
        "id",
        "class",
        "subject",
        "transaction_id",
        "record_id",
        "account_id",
        "currency",
        "amount",
        "summary",
        "differs",
        "state",
        "first_seen",
        "last_seen",
        "updated_at",
    ];
    insert_rows(tx, "recon_cases", &columns, rows).await?;
    let events = sightings.iter().zip(&ids).map(|(s, id)| (id.clone(), s.described())).collect::<Vec<_>>();
    add_events(tx, &events, now, None, RUN_ACTOR, "opened").await?;
    Ok(ids)
}

/// Refreshes what live cases seen again say, where it changed.
pub async fn seen(tx: &mut DbTx, updates: &[(String, &Sighting)], now: i64) -> Result<(), sqlx::Error> {
    let ids: Vec<String> = updates.iter().map(|(id, _)| id.clone()).collect();
    // Only a changed description is rewritten: most cases stay as they were between runs. A
    // case from before `differs` was kept gets it on its next sighting, with no event.
    let current: HashMap<String, (String, Option<String>, bool)> =
        select_in(tx, "SELECT id, summary, record_id, differs FROM recon_cases WHERE id IN ({in})", &ids)
            .await?
            .iter()
            .map(|row| {
                let has_differs = row.try_get::<Option<String>, _>("differs")?.is_some();
                Ok((row.try_get("id")?, (row.try_get("summary")?, row.try_get("record_id")?, has_differs)))
            })
            .collect::<Result<_, sqlx::Error>>()?;
    for (id, sighting) in updates {
        let Some((summary, record, has_differs)) = current.get(id) else { continue };
        let summary_now = sighting.summary();
        let changed = *summary != summary_now || *record != sighting.record_id;
        if changed || !has_differs {
            sqlx::query("UPDATE recon_cases SET summary = $2, differs = $3, record_id = $4, amount = $5, updated_at = $6, last_seen = $6 WHERE id = $1")
                .bind(id)
                .bind(&summary_now)
                .bind(sighting.differs_json()?)
                .bind(&sighting.record_id)
                .bind(sighting.amount.minor)
                .bind(now)
                .execute(&mut **tx)
                .await?;
        }
        if changed {
            add_events(tx, &[(id.clone(), sighting.described())], now, None, RUN_ACTOR, "changed").await?;
        }
    }
    Ok(())
}

/// Closes the live cases `ids` whose break a run no longer finds, as last seen by the run
/// before it; returns how many.
pub async fn close_gone(tx: &mut DbTx, ids: &[String], now: i64) -> Result<usize, sqlx::Error> {
    let sql = format!(
        "UPDATE recon_cases SET last_seen = {}, state = 'closed', closed_at = {now}, updated_at = {now} WHERE state <> 'closed' AND id IN ({{in}})",
        last_seen("")
    );
    select_in(tx, &sql, ids).await?;
    let gone = say!("The break is gone.", "差異は解消しました。");
    let events: Vec<(String, Message)> = ids.iter().map(|id| (id.clone(), gone.clone())).collect();
    add_events(tx, &events, now, None, RUN_ACTOR, "closed").await?;
    Ok(ids.len())
}

/// Adds one event per case to the cases' histories; an empty detail is stored as none.
pub async fn add_events(tx: &mut DbTx, events: &[(String, Message)], at: i64, actor_id: Option<&str>, actor: &str, what: &str) -> Result<(), sqlx::Error> {
    let rows = events
        .iter()
        .map(|(case_id, detail)| {
            vec![
                Param::Text(new_id()),
                Param::Text(case_id.clone()),
                Param::Int(at),
                Param::OptText(actor_id.map(str::to_string)),
                Param::Text(actor.to_string()),
                Param::Text(what.to_string()),
                Param::OptText(Some(detail.en.clone()).filter(|d| !d.is_empty())),
                Param::OptText(detail.ja.clone().filter(|d| !d.is_empty())),
            ]
        })
        .collect();
    insert_rows(tx, "recon_case_events", &["id", "case_id", "at", "actor_id", "actor", "what", "detail", "detail_ja"], rows).await
}

pub struct EventRow {
    pub at: i64,
    pub actor: String,
    pub what: String,
    pub detail: Option<Message>,
}

pub async fn events(tx: &mut DbTx, case_id: &str) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query("SELECT at, actor, what, detail, detail_ja FROM recon_case_events WHERE case_id = $1 ORDER BY at, id")
        .bind(case_id)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|row| {
            let detail: Option<String> = row.try_get("detail")?;
            let ja: Option<String> = row.try_get("detail_ja")?;
            Ok(EventRow { at: row.try_get("at")?, actor: row.try_get("actor")?, what: row.try_get("what")?, detail: detail.map(|en| Message { en, ja }) })
        })
        .collect()
}

pub async fn find(tx: &mut DbTx, id: &str) -> Result<Option<CaseRecord>, sqlx::Error> {
    let sql = format!("{} AND c.id = $1", *SELECT);
    sqlx::query(&sql).bind(id).fetch_optional(&mut **tx).await?.as_ref().map(from_row).transpose()
}

/// The closed case a person's fix about `subject` ended most recently, to reopen it.
pub async fn latest_closed(tx: &mut DbTx, class: BreakClass, subject: &str) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT id FROM recon_cases WHERE class = $1 AND subject = $2 AND state = 'closed' ORDER BY closed_at DESC, id DESC LIMIT 1")
        .bind(class.as_str())
        .bind(subject)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|r| r.try_get("id")).transpose()
}

/// Changes a case's state (and the closing time with it); `false` if it was not in `from`.
pub async fn set_state(tx: &mut DbTx, id: &str, from: &[CaseState], to: CaseState, now: i64) -> Result<bool, sqlx::Error> {
    let allowed = from.iter().map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ");
    let closed_at = if to == CaseState::Closed { Some(now) } else { None };
    let sql = format!("UPDATE recon_cases SET state = $2, closed_at = $3, last_seen = $4, updated_at = $4 WHERE id = $1 AND state IN ({allowed})");
    let done = sqlx::query(&sql).bind(id).bind(to.as_str()).bind(closed_at).bind(now).execute(&mut **tx).await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_assignee(tx: &mut DbTx, id: &str, user_id: Option<&str>, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE recon_cases SET assignee_id = $2, updated_at = $3 WHERE id = $1").bind(id).bind(user_id).bind(now).execute(&mut **tx).await.map(|_| ())
}

/// A parsed queue filter; amounts in local minor units.
#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    pub class: Option<BreakClass>,
    /// First seen within `(min_days, max_days)` ago, `max` inclusive.
    pub age_days: Option<(i64, Option<i64>)>,
    /// `None`: open and ignored.
    pub state: Option<CaseState>,
    /// `Some(None)`: unassigned.
    pub assignee: Option<Option<String>>,
    pub account_id: Option<String>,
    pub currency: Option<String>,
    pub min_amount: Option<i64>,
    pub max_amount: Option<i64>,
    pub now: i64,
}

impl CaseQuery {
    /// Classes and states, closed sets, are written into the text: each gets its own plan, and
    /// a state's literal shows PostgreSQL that the live cases' partial indexes apply.
    fn apply(&self, filter: &mut SqlFilter) {
        if let Some(class) = self.class {
            filter.push(&format!(" AND c.class = '{}'", class.as_str()));
        }
        match self.state {
            Some(state) => filter.push(&format!(" AND c.state = '{}'", state.as_str())),
            None => filter.push(" AND c.state <> 'closed'"),
        }
        if let Some((min, max)) = self.age_days {
            filter.and("c.first_seen <=", Param::Int(self.now - min * DAY_MS));
            if let Some(max) = max {
                filter.and("c.first_seen >", Param::Int(self.now - (max + 1) * DAY_MS));
            }
        }
        match &self.assignee {
            Some(Some(user)) => filter.and("c.assignee_id =", Param::Text(user.clone())),
            Some(None) => filter.push(" AND c.assignee_id IS NULL"),
            None => {}
        }
        if let Some(account) = &self.account_id {
            filter.and("c.account_id =", Param::Text(account.clone()));
        }
        if let Some(currency) = &self.currency {
            filter.and("c.currency =", Param::Text(currency.clone()));
        }
        if let Some(min) = self.min_amount {
            filter.and("c.amount >=", Param::Int(min));
        }
        if let Some(max) = self.max_amount {
            filter.and("c.amount <=", Param::Int(max));
        }
    }
}

/// A page of the queue, oldest first; `after` is `(first_seen, id)` of the previous page's last.
pub async fn page(tx: &mut DbTx, query: &CaseQuery, after: Option<(i64, String)>, limit: i64) -> Result<Vec<CaseRecord>, sqlx::Error> {
    page_query(query, after, limit).fetch_all_tx(tx).await?.iter().map(from_row).collect()
}

/// The query behind a page of the queue.
pub fn page_query(query: &CaseQuery, after: Option<(i64, String)>, limit: i64) -> SqlFilter {
    let mut filter = SqlFilter::new(&SELECT);
    query.apply(&mut filter);
    if let Some((first_seen, id)) = after {
        let n = filter.param_count();
        filter.push(&format!(" AND (c.first_seen > ${} OR (c.first_seen = ${} AND c.id > ${}))", n + 1, n + 1, n + 2));
        filter.bind(Param::Int(first_seen));
        filter.bind(Param::Text(id));
    }
    filter.push(&format!(" ORDER BY c.first_seen, c.id LIMIT {limit}"));
    filter
}

/// Every case the filter selects (for a bulk fix).
pub async fn all(tx: &mut DbTx, query: &CaseQuery) -> Result<Vec<CaseRecord>, sqlx::Error> {
    let mut filter = SqlFilter::new(&SELECT);
    query.apply(&mut filter);
    filter.push(" ORDER BY c.first_seen, c.id");
    filter.fetch_all_tx(tx).await?.iter().map(from_row).collect()
}

/// The cases the filter selects, counted up to `cap` + 1: a queue of thousands reads "more than
/// `cap`", as counting all of it on every page would cost more than the page.
pub async fn count_up_to(tx: &mut DbTx, query: &CaseQuery, cap: i64) -> Result<i64, sqlx::Error> {
    let mut filter = SqlFilter::new("SELECT 1 AS one FROM recon_cases c WHERE 1 = 1");
    query.apply(&mut filter);
    let filter = filter.wrap("SELECT COUNT(*) AS n FROM (", &format!(" LIMIT {}) AS counted", cap.saturating_add(1)));
    let rows = filter.fetch_all_tx(tx).await?;
    rows.first().map(|r| r.try_get("n")).transpose().map(|n| n.unwrap_or(0))
}

/// Live cases by class, state and day of first sighting (whole days ago).
pub async fn live_counts(tx: &mut DbTx, now: i64) -> Result<Vec<(BreakClass, CaseState, i64, i64)>, sqlx::Error> {
    let sql = format!(
        "SELECT class, state, ({now} - first_seen) / {DAY_MS} AS days, COUNT(*) AS n FROM recon_cases \
         WHERE state <> 'closed' GROUP BY class, state, ({now} - first_seen) / {DAY_MS}"
    );
    sqlx::query(&sql)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|row| Ok((parse(row.try_get("class")?)?, parse(row.try_get("state")?)?, row.try_get("days")?, row.try_get("n")?)))
        .collect()
}
