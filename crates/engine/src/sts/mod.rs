//! AWS STS: who a request's credentials are, and the temporary credentials STS hands out.
//!
//! # The account rule
//! Every request is signed with an access key; [`StsEngine::identity`] says who that is:
//! * a key this engine issued (AssumeRole, AssumeRoleWithWebIdentity, AssumeRoleWithSAML,
//!   GetSessionToken, GetFederationToken) is the identity it was issued for — an assumed role
//!   in the role's account, a federated user, or the caller of GetSessionToken — until it
//!   expires;
//! * a 12-digit access key is the root of that account (`arn:aws:iam::<key>:root`);
//! * any other key is the root of the default account.
//!
//! The store of issued credentials is bounded ([`DEFAULT_CAPACITY`]): expired entries are
//! kept (a request signed with one is told `ExpiredToken`) until it fills, then dropped
//! first, then the entry expiring soonest. Time comes from the engine's
//! [`Clock`]. The single lock is a leaf: it is held only to read or write the map.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use rand::Rng;
use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::persist::{self, kind, Dec, Enc, Journal};

#[cfg(test)]
mod tests;

/// Most temporary credentials remembered at once.
pub const DEFAULT_CAPACITY: usize = 100_000;

/// Who a request acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// 12-digit account id.
    pub account_id: String,
    /// `arn:aws:iam::<acct>:root`, `arn:aws:sts::<acct>:assumed-role/<role>/<session>`,
    /// `arn:aws:sts::<acct>:federated-user/<name>`.
    pub arn: String,
    /// GetCallerIdentity's `UserId`: the account id for root, `AROA…:<session>` for an assumed
    /// role, `<acct>:<name>` for a federated user.
    pub user_id: String,
    /// What issued the credentials the request was signed with.
    pub kind: CredentialKind,
}

/// Where a request's credentials come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// A long-term access key (the account's root).
    LongTerm,
    /// GetSessionToken: the caller's own identity, temporarily.
    SessionToken,
    /// AssumeRole, AssumeRoleWithWebIdentity, AssumeRoleWithSAML.
    AssumedRole,
    /// GetFederationToken.
    Federated,
}

impl CredentialKind {
    /// Credentials STS issued (an `ASIA…` key with a session token).
    pub fn is_temporary(self) -> bool {
        self != CredentialKind::LongTerm
    }
}

impl Identity {
    /// The root user of `account_id`.
    pub fn root(account_id: &str) -> Identity {
        Identity {
            account_id: account_id.to_owned(),
            arn: format!("arn:aws:iam::{account_id}:root"),
            user_id: account_id.to_owned(),
            kind: CredentialKind::LongTerm,
        }
    }

    /// Session `session` of role `role_name` (the last segment of the role ARN's resource;
    /// `role_arn` names the role for its unique id) in `account_id`.
    pub fn assumed_role(account_id: &str, role_arn: &str, role_name: &str, session: &str) -> Self {
        Identity {
            account_id: account_id.to_owned(),
            arn: format!("arn:aws:sts::{account_id}:assumed-role/{role_name}/{session}"),
            user_id: format!("{}:{session}", role_id(role_arn)),
            kind: CredentialKind::AssumedRole,
        }
    }

    /// Federated user `name` of `account_id`.
    pub fn federated_user(account_id: &str, name: &str) -> Identity {
        Identity {
            account_id: account_id.to_owned(),
            arn: format!("arn:aws:sts::{account_id}:federated-user/{name}"),
            user_id: format!("{account_id}:{name}"),
            kind: CredentialKind::Federated,
        }
    }
}

/// The unique id of a role (`AROA` + 17 characters), stable for a role ARN as AWS's is for a
/// role: derived from the ARN.
pub fn role_id(role_arn: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = Sha256::digest(role_arn.as_bytes());
    let mut id = String::from("AROA");
    id.extend(
        digest
            .iter()
            .take(17)
            .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char),
    );
    id
}

/// Temporary credentials as STS returns them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCredentials {
    /// `ASIA` + 16 characters.
    pub access_key_id: String,
    /// 40 characters.
    pub secret_access_key: String,
    pub session_token: String,
    /// When they stop working, milliseconds since the epoch.
    pub expiration_ms: u64,
}

#[derive(Debug, Clone)]
struct Session {
    identity: Identity,
    expiration_ms: u64,
    /// Kept so that requests signed with the key can be verified (SigV4) and their
    /// `X-Amz-Security-Token` compared with the one issued.
    secret_access_key: String,
    session_token: String,
}

/// What the engine knows about a key it issued: enough to verify a request signed with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedKey {
    pub identity: Identity,
    pub secret_access_key: String,
    pub session_token: String,
    /// The credentials expired (a request signed with them gets `ExpiredToken`).
    pub expired: bool,
}

/// Issued temporary credentials and the identity rule.
pub struct StsEngine {
    clock: Arc<dyn Clock>,
    capacity: usize,
    sessions: Mutex<HashMap<String, Session>>,
    /// `--data-dir`: where issued credentials are journaled.
    journal: Option<Arc<dyn Journal>>,
}

impl std::fmt::Debug for StsEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StsEngine")
            .field("capacity", &self.capacity)
            .field("sessions", &self.sessions.lock().len())
            .finish()
    }
}

impl StsEngine {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self::with_capacity(clock, DEFAULT_CAPACITY)
    }

    /// A store remembering at most `capacity` credentials (at least 1).
    pub fn with_capacity(clock: Arc<dyn Clock>, capacity: usize) -> Self {
        StsEngine {
            clock,
            capacity: capacity.max(1),
            sessions: Mutex::new(HashMap::new()),
            journal: None,
        }
    }

    /// Journals issued credentials and resets to `journal` (`--data-dir`).
    pub fn set_journal(&mut self, journal: Arc<dyn Journal>) {
        self.journal = Some(journal);
    }

    fn journal_session(&self, key: &str, s: &Session) {
        if let Some(j) = &self.journal {
            let mut e = Enc::default();
            let kind_tag = match s.identity.kind {
                CredentialKind::LongTerm => 0,
                CredentialKind::SessionToken => 1,
                CredentialKind::AssumedRole => 2,
                CredentialKind::Federated => 3,
            };
            e.str(key)
                .str(&s.identity.account_id)
                .str(&s.identity.arn)
                .str(&s.identity.user_id)
                .u8(kind_tag)
                .u64(s.expiration_ms)
                .str(&s.secret_access_key)
                .str(&s.session_token);
            let mut buf = Vec::new();
            persist::frame(&mut buf, kind::STS_SESSION, &e.0);
            persist::append(&**j, &buf);
        }
    }

    /// Applies a journaled STS record; `Ok(false)` if `kind` is not one.
    pub fn replay(&self, record_kind: u8, data: &[u8]) -> Result<bool, String> {
        let mut d = Dec(data);
        match record_kind {
            kind::STS_SESSION => {
                let key = d.str()?.to_string();
                let identity = Identity {
                    account_id: d.str()?.to_string(),
                    arn: d.str()?.to_string(),
                    user_id: d.str()?.to_string(),
                    kind: match d.u8()? {
                        0 => CredentialKind::LongTerm,
                        1 => CredentialKind::SessionToken,
                        2 => CredentialKind::AssumedRole,
                        3 => CredentialKind::Federated,
                        t => return Err(format!("bad credential kind {t}")),
                    },
                };
                let expiration_ms = d.u64()?;
                let secret_access_key = d.str()?.to_string();
                let session_token = d.str()?.to_string();
                self.sessions.lock().insert(
                    key,
                    Session {
                        identity,
                        expiration_ms,
                        secret_access_key,
                        session_token,
                    },
                );
            }
            kind::STS_RESET => {
                let account = d.opt_str()?;
                let mut sessions = self.sessions.lock();
                match account {
                    None => sessions.clear(),
                    Some(a) => sessions.retain(|_, s| s.identity.account_id != a),
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Journals every unexpired session (a checkpoint: after the journal's rotation).
    pub fn checkpoint(&self) {
        let now = self.clock.now_millis();
        let sessions = self.sessions.lock();
        for (key, s) in sessions.iter().filter(|(_, s)| s.expiration_ms > now) {
            self.journal_session(key, s);
        }
    }

    /// Milliseconds since the epoch on the engine's clock.
    pub fn now_millis(&self) -> u64 {
        self.clock.now_millis()
    }

    /// Who a request signed with `access_key_id` is (see the module docs for the rule).
    /// An expired key acts as a long-term key again here; the server refuses requests signed
    /// with it (`ExpiredToken`) before they get this far, see [`StsEngine::issued`].
    pub fn identity(&self, access_key_id: &str, default_account: &str) -> Identity {
        let now = self.clock.now_millis();
        let issued = {
            let sessions = self.sessions.lock();
            match sessions.get(access_key_id) {
                Some(s) if s.expiration_ms > now => Some(s.identity.clone()),
                _ => None,
            }
        };
        if let Some(identity) = issued {
            return identity;
        }
        if access_key_id.len() == 12 && access_key_id.bytes().all(|b| b.is_ascii_digit()) {
            Identity::root(access_key_id)
        } else {
            Identity::root(default_account)
        }
    }

    /// The secret, session token and state of a key this engine issued (`None`: not issued
    /// here, or forgotten by a reset or because the store filled). Expired keys are remembered
    /// until the store needs their room, so that a request signed with one is told
    /// `ExpiredToken` rather than acting as an unknown key.
    pub fn issued(&self, access_key_id: &str) -> Option<IssuedKey> {
        let now = self.clock.now_millis();
        let sessions = self.sessions.lock();
        sessions.get(access_key_id).map(|s| IssuedKey {
            identity: s.identity.clone(),
            secret_access_key: s.secret_access_key.clone(),
            session_token: s.session_token.clone(),
            expired: s.expiration_ms <= now,
        })
    }

    /// Issues credentials acting as `identity` for `duration_secs` seconds, with a session
    /// token of at least `min_token_bytes` bytes (STS `MinimumSessionTokenSize`).
    pub fn issue(
        &self,
        identity: Identity,
        duration_secs: u64,
        min_token_bytes: usize,
    ) -> IssuedCredentials {
        let expiration_ms = self
            .clock
            .now_millis()
            .saturating_add(duration_secs.saturating_mul(1000));
        let creds = IssuedCredentials {
            access_key_id: format!("ASIA{}", random_string(16, KEY_CHARS)),
            secret_access_key: random_string(40, SECRET_CHARS),
            session_token: session_token(min_token_bytes),
            expiration_ms,
        };
        let now = self.clock.now_millis();
        let mut sessions = self.sessions.lock();
        if sessions.len() >= self.capacity {
            sessions.retain(|_, s| s.expiration_ms > now);
        }
        if sessions.len() >= self.capacity {
            let soonest = sessions
                .iter()
                .min_by_key(|(_, s)| s.expiration_ms)
                .map(|(k, _)| k.clone());
            if let Some(k) = soonest {
                sessions.remove(&k);
            }
        }
        let session = Session {
            identity,
            expiration_ms,
            secret_access_key: creds.secret_access_key.clone(),
            session_token: creds.session_token.clone(),
        };
        self.journal_session(&creds.access_key_id, &session);
        sessions.insert(creds.access_key_id.clone(), session);
        creds
    }

    /// Forgets issued credentials: all of them, or those acting in `account` (a reset of the
    /// emulator's state). Forgotten keys act as rule 2/3 keys again.
    pub fn reset(&self, account: Option<&str>) {
        let mut sessions = self.sessions.lock();
        if let Some(j) = &self.journal {
            let mut e = Enc::default();
            e.opt_str(account);
            let mut buf = Vec::new();
            persist::frame(&mut buf, kind::STS_RESET, &e.0);
            persist::append(&**j, &buf);
        }
        match account {
            None => sessions.clear(),
            Some(account) => sessions.retain(|_, s| s.identity.account_id != account),
        }
    }

    /// How many issued credentials are remembered (expired ones included until dropped).
    pub fn len(&self) -> usize {
        self.sessions.lock().len()
    }

    /// Whether no issued credentials are remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Characters of access key ids (upper-case letters and digits, as AWS's).
const KEY_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// Characters of secret keys (base64's).
const SECRET_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn random_string(len: usize, alphabet: &[u8]) -> String {
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char)
        .collect()
}

/// Longest `MinimumSessionTokenSize` STS accepts.
pub const MAX_MIN_TOKEN_BYTES: usize = 4096;

/// An opaque session token shaped like AWS's (base64, a few hundred characters), padded to
/// `min_bytes` (at most [`MAX_MIN_TOKEN_BYTES`]).
fn session_token(min_bytes: usize) -> String {
    let mut bytes = [0u8; 240];
    rand::thread_rng().fill(&mut bytes[..]);
    let mut token = String::from("IQoJb3JpZ2luX2VjE");
    token.push_str(&base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        bytes,
    ));
    let missing = min_bytes
        .min(MAX_MIN_TOKEN_BYTES)
        .saturating_sub(token.len());
    token.push_str(&random_string(missing, SECRET_CHARS));
    token
}
