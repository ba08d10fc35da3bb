//! The profile form's fields and their labels.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Name,
    Engine,
    Url,
    Host,
    Port,
    Database,
    User,
    Path,
    /// SQLite: make the file when it is not there (owner-only), on save.
    CreateFile,
    Environment,
    ReadOnly,
    PasswordSource,
    PasswordEnv,
    PasswordCommand,
    TlsMode,
    TlsRootCert,
    TlsCert,
    TlsKey,
    /// SSH hops, comma-separated: `user@bastion:22, user@inner:22`.
    SshRoute,
    SshIdentity,
    MaxConnections,
    ConnectTimeout,
    Save,
}

impl Field {
    pub fn label(self) -> &'static str {
        match self {
            Field::Name => "Name",
            Field::Engine => "Engine",
            Field::Url => "URL (optional)",
            Field::Host => "Host",
            Field::Port => "Port",
            Field::Database => "Database",
            Field::User => "User",
            Field::Path => "SQLite file",
            Field::CreateFile => "Create file",
            Field::Environment => "Environment",
            Field::ReadOnly => "Read-only",
            Field::PasswordSource => "Password from",
            Field::PasswordEnv => "Env variable",
            Field::PasswordCommand => "Command",
            Field::TlsMode => "TLS mode",
            Field::TlsRootCert => "TLS CA file",
            Field::TlsCert => "TLS client cert",
            Field::TlsKey => "TLS client key",
            Field::SshRoute => "SSH via (hops)",
            Field::SshIdentity => "SSH key file",
            Field::MaxConnections => "Max connections",
            Field::ConnectTimeout => "Timeout (s)",
            Field::Save => "[ Save ]",
        }
    }

    pub(super) fn is_text(self) -> bool {
        !matches!(
            self,
            Field::Engine
                | Field::CreateFile
                | Field::Environment
                | Field::ReadOnly
                | Field::PasswordSource
                | Field::TlsMode
                | Field::Save
        )
    }
}
