//! Demo mode's safety on a real database: its admin, whose password is published, does not stay
//! usable once Regio starts outside demo mode.

use crate::both_databases;
use crate::support::{Backend, spawn_app};
use regio::server::db::users;
use regio::server::demo::{self, DEMO_ADMIN_EMAIL};

both_databases!(a_normal_start_disables_the_demo_admin_and_demo_mode_enables_it_again, demo_mode_refuses_a_database_it_did_not_create);

async fn demo_mode_refuses_a_database_it_did_not_create(backend: Backend) {
    let app = spawn_app(backend).await;
    app.add_user("ops@example.org", "admin").await;
    let refused = demo::prepare(&app.db).await.err().expect("a database with users that demo mode did not create is refused");
    assert!(refused.to_string().contains("REGIO_DEMO"), "{refused}");
    assert!(users::find_by_email(&app.db, DEMO_ADMIN_EMAIL).await.expect("read user").is_none(), "no demo admin with a published password");

    // A database demo mode created (empty at its first start) is its own on every later start.
    let fresh = spawn_app(backend).await;
    assert!(demo::prepare(&fresh.db).await.expect("first demo start").fresh);
    assert!(!demo::prepare(&fresh.db).await.expect("second demo start").fresh);
}

async fn demo_admin_disabled(app: &crate::support::TestApp) -> bool {
    users::find_by_email(&app.db, DEMO_ADMIN_EMAIL).await.expect("read user").expect("the demo admin").disabled
}

async fn a_normal_start_disables_the_demo_admin_and_demo_mode_enables_it_again(backend: Backend) {
    let app = spawn_app(backend).await;
    demo::prepare(&app.db).await.expect("demo start");
    assert!(!demo_admin_disabled(&app).await);

    // It is the only admin, and still it is disabled: its password is in the README.
    assert!(demo::disable_demo_admin(&app.db).await.expect("normal start"), "the start says it disabled the demo admin");
    assert!(demo_admin_disabled(&app).await);
    let audit = app.audit_actions().await;
    assert_eq!(audit.last(), Some(&("user.disable".to_string(), format!("user:{DEMO_ADMIN_EMAIL}"))), "{audit:?}");
    assert!(!demo::disable_demo_admin(&app.db).await.expect("second normal start"), "nothing left to disable");

    demo::prepare(&app.db).await.expect("demo start again");
    assert!(!demo_admin_disabled(&app).await, "demo mode prints a login that works");
}
