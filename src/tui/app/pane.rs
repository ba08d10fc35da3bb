//! The five panes, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PaneId {
    #[default]
    Profiles,
    Schema,
    Migrations,
    Sync,
    Query,
}

impl PaneId {
    pub const ALL: [PaneId; 5] = [PaneId::Profiles, PaneId::Schema, PaneId::Migrations, PaneId::Sync, PaneId::Query];

    pub fn title(self) -> &'static str {
        match self {
            PaneId::Profiles => "Profiles",
            PaneId::Schema => "Schema",
            PaneId::Migrations => "Migrations",
            PaneId::Sync => "Sync",
            PaneId::Query => "Query",
        }
    }

    /// 0-based position in the tab bar (the key is one more).
    pub fn index(self) -> usize {
        PaneId::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    pub fn from_index(i: usize) -> PaneId {
        PaneId::ALL[i % PaneId::ALL.len()]
    }

    pub fn next(self) -> PaneId {
        PaneId::from_index(self.index() + 1)
    }

    pub fn prev(self) -> PaneId {
        PaneId::from_index(self.index() + PaneId::ALL.len() - 1)
    }
}
