use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a signed-in person may do. Each role includes the ones below it:
/// admin ⊃ support ⊃ viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Support,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Support, Role::Viewer];

    fn rank(self) -> u8 {
        match self {
            Role::Viewer => 0,
            Role::Support => 1,
            Role::Admin => 2,
        }
    }

    /// Whether someone holding `self` may do what needs `required`.
    pub fn includes(self, required: Role) -> bool {
        self.rank() >= required.rank()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Support => "support",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "viewer" => Ok(Role::Viewer),
            "support" => Ok(Role::Support),
            "admin" => Ok(Role::Admin),
            other => Err(format!("unknown role '{other}' (expected admin, support or viewer)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_includes_everything_and_viewer_only_itself() {
        assert!(Role::Admin.includes(Role::Support));
        assert!(Role::Support.includes(Role::Viewer));
        assert!(!Role::Viewer.includes(Role::Support));
        assert!(!Role::Support.includes(Role::Admin));
    }

    #[test]
    fn parses_names_and_rejects_others() {
        assert_eq!("admin".parse::<Role>(), Ok(Role::Admin));
        assert!("root".parse::<Role>().is_err());
    }
}
