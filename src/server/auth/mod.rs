//! People and access: credentials, password hashing, sessions, throttling, user management.

pub mod api_keys;
pub mod credentials;
pub mod password;
pub mod session;
pub mod throttle;
pub mod users;

pub use session::CurrentUser;
