//! Opening a profile, as both fronts do it: its password resolved (off the async threads: a password command may
//! take a while), or word that one must be asked for; then its pool.
use secrecy::SecretString;

use super::classify::{self, ConnectError};
use super::{DbPool, connect_pool};
use crate::core::profile::Profile;
use crate::core::profile::password::{self, Resolved};

#[derive(Debug)]
pub enum OpenError {
    /// The profile asks for its password at connect time, and none was given: ask, then open again.
    MustAsk {
        reason: String,
    },
    Failed(ConnectError),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::MustAsk { reason } => write!(f, "a password is needed: {reason}"),
            OpenError::Failed(e) => write!(f, "{}", e.message),
        }
    }
}

/// The password to connect with: `remembered` (typed earlier in this session) or the profile's source; None when
/// the profile needs none.
pub async fn resolve_password(
    p: &Profile,
    remembered: Option<SecretString>,
) -> Result<Option<SecretString>, OpenError> {
    let prof = p.clone();
    let resolved = tokio::task::spawn_blocking(move || password::resolve(&prof, remembered.as_ref())).await;
    match resolved {
        Ok(Ok(Resolved::Password(pw))) => Ok(Some(pw)),
        Ok(Ok(Resolved::NoPassword { .. })) => Ok(None),
        Ok(Ok(Resolved::MustAsk { reason })) => Err(OpenError::MustAsk { reason }),
        Ok(Err(e)) => Err(OpenError::Failed(classify::password_unavailable(p, &e.to_string()))),
        Err(e) => Err(OpenError::Failed(classify::password_unavailable(p, &e.to_string()))),
    }
}

/// Resolves the password and opens the profile's pool.
pub async fn open(p: &Profile, remembered: Option<SecretString>) -> Result<DbPool, OpenError> {
    let pw = resolve_password(p, remembered).await?;
    connect_pool(p, pw.as_ref()).await.map_err(OpenError::Failed)
}
