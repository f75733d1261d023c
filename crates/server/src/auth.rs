//! SigV4 verification: who may sign requests, and checking that they did.
//!
//! # The rule (`--verify-signatures on|off|auto`, default `auto`)
//! * A key whose secret the emulator knows is **verified** (unless `off`): keys from the
//!   credentials source (`--credentials FILE`, `--credentials-map AKID=SECRET[:ACCOUNT],...`,
//!   `FERRYBRIDGE_CREDENTIALS`) and keys STS issued (AssumeRole, GetSessionToken...: the
//!   client signs with the secret it was given, so verifying them costs it nothing).
//! * The **test credentials** (access key `test`, or a 12-digit account id as LocalStack
//!   allows) are accepted without verification, unless configured with a secret or
//!   verification is forced `on`: then they are verified against the documented secret `test`.
//! * Any other key whose secret is unknown is accepted as before (it acts in the default
//!   account, see `StsEngine::identity`) while no credentials source is configured; once one
//!   is (`auto`), or with `on`, it is refused (`InvalidClientTokenId`).
//! * `off` turns every check off, STS-issued keys included.
//!
//! Without flags nothing changes for the keys the SDK examples and test suites use (`test`,
//! 12-digit account ids, `AKIA...EXAMPLE`): their secrets are unknown.
//!
//! # What a verified request must satisfy (as AWS checks it)
//! the signature over the canonical request (non-S3 rules, [`sigv4::canonical_request`]);
//! `X-Amz-Date` within 15 minutes of the emulator's clock (the [`Clock`], so tests on a manual
//! clock control it); a presigned URL not past `X-Amz-Date + X-Amz-Expires`; the body hash
//! (a body changed after signing fails; `UNSIGNED-PAYLOAD` leaves it unsigned as the client
//! asked); an `aws-chunked` body's chunk signatures; the session token STS issued with the
//! key (`X-Amz-Security-Token`), and the key not expired (`ExpiredToken`).
//!
//! Derived signing keys are cached per (secret, date, region, service): a verification costs
//! two SHA-256 of the request and one HMAC. The cache's lock is a leaf, and the cache is
//! bounded ([`KEY_CACHE_CAPACITY`], emptied when full).

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use ferrybridge_engine::clock::Clock;
use ferrybridge_engine::sts::{Identity, StsEngine};
use ferrybridge_protocol::sigv4::{self, Credentials};
use ferrybridge_protocol::timestamp::{civil_from_days, days_from_civil};
use ferrybridge_protocol::{DecodedRequest, HttpRequest, ServiceError, ServiceName};
use http::HeaderMap;
use parking_lot::Mutex;

use crate::config::VerifySignatures;
use crate::Config;

/// The access key of the documented test credentials (`test`/`test`).
pub const TEST_ACCESS_KEY: &str = "test";

/// The secret the test credentials are verified against when verification is forced `on`.
pub const TEST_SECRET: &str = "test";

/// The test credentials: `test`, or a 12-digit account id (LocalStack's convention).
fn is_test_key(access_key: &str) -> bool {
    access_key == TEST_ACCESS_KEY
        || (access_key.len() == 12 && access_key.bytes().all(|b| b.is_ascii_digit()))
}

/// The clock-skew window of SigV4.
const SKEW_SECS: i64 = 15 * 60;

/// Longest `X-Amz-Expires` (seven days, as AWS allows).
const MAX_EXPIRES_SECS: i64 = 604_800;

/// Most derived signing keys remembered.
pub const KEY_CACHE_CAPACITY: usize = 4096;

/// How unknown keys are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `off`: nothing is verified.
    Off,
    /// `auto` without a credentials source: keys with a known secret are verified; other
    /// keys are accepted unverified.
    KnownKeys,
    /// `auto` with a credentials source: keys with a known secret are verified, the test
    /// credentials accepted unverified, other keys refused.
    Strict,
    /// `on`: as `Strict`, and the test credentials are verified against the secret `test`.
    Forced,
}

#[derive(Debug, Clone)]
struct ConfiguredKey {
    secret: String,
    /// A session token the credentials file gives the key; requests must carry it.
    session_token: Option<String>,
    /// The account the key acts in (`aws_account_id`, `AKID=SECRET:ACCOUNT`).
    account: Option<String>,
}

/// How a verified key's session token is checked.
enum Token<'a> {
    /// The request must carry exactly this token, or none when `None`.
    Exactly(Option<Cow<'a, str>>),
    /// Not checked (the test credentials).
    Any,
}

/// The verifier the server consults for every signed request.
pub(crate) struct Verifier {
    mode: Mode,
    configured: HashMap<String, ConfiguredKey>,
    clock: Arc<dyn Clock>,
    keys: Mutex<HashMap<u64, CachedKey>>,
    key_hasher: std::collections::hash_map::RandomState,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("mode", &self.mode)
            .field("configured_keys", &self.configured.len())
            .finish()
    }
}

/// Which family of error names the client expects.
#[derive(Clone, Copy)]
struct Names {
    /// EventBridge (AWS JSON 1.1): `UnrecognizedClientException`, `InvalidSignatureException`...
    /// SQS speaks JSON too but is awsQueryCompatible: it keeps the Query codes, which the codec
    /// sends in `x-amzn-query-error`.
    json: bool,
}

impl Names {
    fn of(service: ServiceName) -> Names {
        Names {
            json: service == ServiceName::Events,
        }
    }

    fn pick(self, query: &'static str, json: &'static str) -> &'static str {
        if self.json {
            json
        } else {
            query
        }
    }

    fn invalid_token(self) -> ServiceError {
        ServiceError::new(
            self.pick("InvalidClientTokenId", "UnrecognizedClientException"),
            "The security token included in the request is invalid.",
        )
    }

    fn expired_token(self) -> ServiceError {
        ServiceError::new(
            self.pick("ExpiredToken", "ExpiredTokenException"),
            "The security token included in the request is expired",
        )
    }

    fn mismatch(self, message: impl Into<String>) -> ServiceError {
        ServiceError::new(
            self.pick("SignatureDoesNotMatch", "InvalidSignatureException"),
            message,
        )
    }

    fn incomplete(self, message: impl Into<String>) -> ServiceError {
        ServiceError::new(
            self.pick("IncompleteSignature", "IncompleteSignatureException"),
            message,
        )
    }
}

impl Verifier {
    /// The verifier `config` asks for: reads `--credentials` (AWS shared-credentials INI) and
    /// `--credentials-map`. An unreadable or malformed file fails the start.
    pub(crate) fn from_config(config: &Config, clock: Arc<dyn Clock>) -> Result<Self, String> {
        let mut configured = HashMap::new();
        if let Some(path) = &config.credentials_file {
            read_credentials_file(path, &mut configured)?;
        }
        if let Some(map) = &config.credentials_map {
            parse_credentials_map(map, &mut configured)?;
        }
        let mode = match config.verify_signatures {
            VerifySignatures::Off => Mode::Off,
            VerifySignatures::On => Mode::Forced,
            VerifySignatures::Auto if !configured.is_empty() => Mode::Strict,
            VerifySignatures::Auto => Mode::KnownKeys,
        };
        Ok(Verifier {
            mode,
            configured,
            clock,
            keys: Mutex::new(HashMap::new()),
            key_hasher: std::collections::hash_map::RandomState::new(),
        })
    }

    /// Whether unknown keys are refused (logged at start).
    pub(crate) fn strict(&self) -> bool {
        matches!(self.mode, Mode::Strict | Mode::Forced)
    }

    /// Who a request signed with `access_key` is: a configured key with an account acts as
    /// that account's root; otherwise the rule of [`StsEngine::identity`].
    pub(crate) fn identity(
        &self,
        access_key: &str,
        sts: &StsEngine,
        default_account: &str,
    ) -> Identity {
        match self
            .configured
            .get(access_key)
            .and_then(|k| k.account.as_deref())
        {
            Some(account) => Identity::root(account),
            None => sts.identity(access_key, default_account),
        }
    }

    /// A verifier with no credentials source (the mode of `config` applies): what an `App`
    /// starts with until [`Verifier::from_config`] has read the sources.
    pub(crate) fn without_sources(config: &Config, clock: Arc<dyn Clock>) -> Self {
        let mut config = config.clone();
        (config.credentials_file, config.credentials_map) = (None, None);
        Self::from_config(&config, clock.clone()).unwrap_or_else(|_| Verifier {
            mode: Mode::KnownKeys,
            configured: HashMap::new(),
            clock,
            keys: Mutex::new(HashMap::new()),
            key_hasher: std::collections::hash_map::RandomState::new(),
        })
    }

    /// How many keys the credentials source configured.
    pub(crate) fn configured_keys(&self) -> usize {
        self.configured.len()
    }

    /// The `Date` of a response: the emulator's clock, as AWS's `Date` is AWS's. SDKs correct
    /// their clock skew from it (the Rust SDK on every response), so clients of an emulator on
    /// a manual clock sign with the emulator's time.
    pub(crate) fn http_date(&self) -> http::HeaderValue {
        let secs = (self.clock.now_millis() / 1000) as i64;
        // Every response carries one, and it changes once a second: each worker thread keeps
        // the last one it made (the text depends on the second alone, whichever clock gave it).
        thread_local! {
            static LAST: std::cell::RefCell<Option<(i64, http::HeaderValue)>> =
                const { std::cell::RefCell::new(None) };
        }
        LAST.with(|last| {
            let mut last = last.borrow_mut();
            match &*last {
                Some((at, value)) if *at == secs => value.clone(),
                _ => {
                    let value = Self::http_date_of(secs);
                    *last = Some((secs, value.clone()));
                    value
                }
            }
        })
    }

    /// The HTTP `Date` text (IMF-fixdate) of `secs` since the Unix epoch.
    fn http_date_of(secs: i64) -> http::HeaderValue {
        let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
        let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
            [secs.div_euclid(86_400).rem_euclid(7) as usize];
        let month = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ][(m - 1).clamp(0, 11) as usize];
        let t = secs.rem_euclid(86_400);
        let text = format!(
            "{weekday}, {d:02} {month} {y} {:02}:{:02}:{:02} GMT",
            t / 3600,
            t / 60 % 60,
            t % 60
        );
        http::HeaderValue::from_str(&text)
            .unwrap_or_else(|_| http::HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"))
    }

    /// The secret (and expected session token) of a key, or why the request is refused;
    /// `Ok(None)`: not verified.
    fn secret_of(
        &self,
        access_key: &str,
        sts: &StsEngine,
        names: Names,
    ) -> Result<Option<(Cow<'_, str>, Token<'_>)>, ServiceError> {
        if let Some(k) = self.configured.get(access_key) {
            return Ok(Some((
                Cow::Borrowed(k.secret.as_str()),
                Token::Exactly(k.session_token.as_deref().map(Cow::Borrowed)),
            )));
        }
        if let Some(issued) = sts.issued(access_key) {
            if issued.expired {
                return Err(names.expired_token());
            }
            return Ok(Some((
                Cow::Owned(issued.secret_access_key),
                Token::Exactly(Some(Cow::Owned(issued.session_token))),
            )));
        }
        match self.mode {
            Mode::Forced if is_test_key(access_key) => {
                Ok(Some((Cow::Borrowed(TEST_SECRET), Token::Any)))
            }
            Mode::Strict | Mode::Forced if !is_test_key(access_key) => Err(names.invalid_token()),
            _ => Ok(None),
        }
    }

    /// Removes the framing of an `aws-chunked` body (`x-amz-content-sha256:
    /// STREAMING-AWS4-HMAC-SHA256-PAYLOAD`) before the codec reads it, verifying each chunk's
    /// signature when the key's secret is known. `Ok(None)`: not a chunked body. Errors are
    /// rendered by the caller; the service comes from the credential scope.
    pub(crate) fn unchunk(
        &self,
        headers: &HeaderMap,
        query: Option<&str>,
        body: &[u8],
        sts: &StsEngine,
    ) -> Result<Option<Vec<u8>>, (Option<ServiceName>, ServiceError)> {
        let streaming = headers
            .get(sigv4::X_AMZ_CONTENT_SHA256)
            .is_some_and(|v| v.as_bytes() == sigv4::STREAMING_PAYLOAD.as_bytes());
        if !streaming {
            return Ok(None);
        }
        let creds = match sigv4::parse_request(headers, query) {
            Ok(c) => c,
            Err(e) => return Err((None, e.to_service_error())),
        };
        let service = ServiceName::from_signing_name(&creds.service);
        let names = Names::of(service.unwrap_or(ServiceName::Sqs));
        let secret = match self.mode {
            Mode::Off => None,
            _ => self
                .secret_of(&creds.access_key_id, sts, names)
                .map_err(|e| (service, e))?,
        };
        let key = secret.map(|(secret, _)| self.signing_key(&secret, &creds));
        let creds = match normalized_date(&creds) {
            Some((_, iso)) => with_date(&creds, iso.into_owned()),
            None => Cow::Borrowed(&creds),
        };
        let decoded = match &key {
            Some(key) => sigv4::decode_aws_chunked(body, key, &creds),
            None => sigv4::decode_aws_chunked_unverified(body),
        };
        decoded
            .map(Some)
            .map_err(|e| (service, names_of_error(names, e)))
    }

    /// Verifies a decoded request (see the module docs). `req` is the request as received,
    /// with the body the codec read.
    pub(crate) fn check(
        &self,
        decoded: &DecodedRequest,
        req: &HttpRequest,
        sts: &StsEngine,
    ) -> Result<(), ServiceError> {
        if self.mode == Mode::Off {
            return Ok(());
        }
        let Some(creds) = &decoded.auth else {
            return Ok(());
        };
        let names = Names::of(decoded.service);
        let Some((secret, token)) = self.secret_of(&creds.access_key_id, sts, names)? else {
            return Ok(());
        };
        if let Token::Exactly(expected) = &token {
            if expected.as_deref() != creds.security_token.as_deref() {
                return Err(names.invalid_token());
            }
        }

        if creds
            .amz_date
            .as_deref()
            .is_none_or(|d| d.trim().is_empty())
        {
            return Err(names.incomplete(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
            ));
        }
        let Some((signed_at, iso)) = normalized_date(creds) else {
            return Err(names.incomplete(format!(
                "Date must be in ISO-8601 'basic format'. Got '{}'. See http://docs.aws.amazon.com/general/latest/gr/sigv4-date-handling.html",
                creds.amz_date.as_deref().unwrap_or("")
            )));
        };
        if creds.date != iso[..8] {
            return Err(names.mismatch(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{iso}'.",
                creds.date,
                &iso[..8]
            )));
        }
        let now = (self.clock.now_millis() / 1000) as i64;
        self.check_time(creds, signed_at, &iso, now, names)?;

        let creds = if creds.amz_date.as_deref() == Some(&*iso) {
            Cow::Borrowed(creds)
        } else {
            with_date(creds, iso.into_owned())
        };
        let key = self.signing_key(&secret, &creds);
        let payload = payload_hash(&creds, req);
        let verify = |payload: &str| -> Result<(), (String, String)> {
            let creq = sigv4::canonical_request(
                &creds,
                req.method,
                req.path,
                req.query,
                req.headers,
                payload,
            );
            let to_sign = sigv4::string_to_sign(&creds, &creq);
            let expected = sigv4::signature_with_key(&key, &to_sign);
            if sigv4::same_signature(&expected, &creds.signature) {
                Ok(())
            } else {
                Err((creq, to_sign))
            }
        };
        let failed = match verify(&payload) {
            Ok(()) => return Ok(()),
            Err(details) => details,
        };
        // Presigners written for S3 sign presigned URLs with `UNSIGNED-PAYLOAD`; a presigned
        // GET has no body to protect.
        if creds.presigned && req.body.is_empty() && verify("UNSIGNED-PAYLOAD").is_ok() {
            return Ok(());
        }
        let mut message = sigv4::SIGNATURE_DOES_NOT_MATCH.to_owned();
        // STS (like IAM) tells the caller what it should have signed.
        if decoded.service == ServiceName::Sts {
            let (creq, to_sign) = failed;
            message.push_str(&format!(
                "\n\nThe Canonical String for this request should have been\n'{creq}'\n\nThe String-to-Sign should have been\n'{to_sign}'\n"
            ));
        }
        Err(names.mismatch(message))
    }

    /// The 15-minute window around `X-Amz-Date`, and a presigned URL's `X-Amz-Expires`.
    fn check_time(
        &self,
        creds: &Credentials,
        signed_at: i64,
        iso: &str,
        now: i64,
        names: Names,
    ) -> Result<(), ServiceError> {
        if signed_at - SKEW_SECS > now {
            return Err(names.mismatch(format!(
                "Signature not yet current: {iso} is still later than {} ({} + 15 min.)",
                basic(now + SKEW_SECS),
                basic(now)
            )));
        }
        if creds.presigned {
            let expires = match creds.expires.as_deref() {
                None => SKEW_SECS,
                Some(e) => match e.parse::<i64>() {
                    Ok(secs) if (1..=MAX_EXPIRES_SECS).contains(&secs) => secs,
                    _ => {
                        return Err(names.incomplete(format!(
                            "X-Amz-Expires must be a number of seconds from 1 to {MAX_EXPIRES_SECS}, not '{e}'."
                        )))
                    }
                },
            };
            if now > signed_at + expires {
                return Err(ServiceError::new("RequestExpired", "Request has expired."));
            }
            return Ok(());
        }
        if signed_at + SKEW_SECS < now {
            return Err(names.mismatch(format!(
                "Signature expired: {iso} is now earlier than {} ({} - 15 min.)",
                basic(now - SKEW_SECS),
                basic(now)
            )));
        }
        Ok(())
    }

    /// The derived signing key of a scope, cached. A hit allocates nothing: the cache is
    /// keyed by a hash of (secret, date, region, service) and the entry keeps the four to rule
    /// out a collision (a colliding scope just replaces the entry).
    fn signing_key(&self, secret: &str, creds: &Credentials) -> [u8; 32] {
        use std::hash::BuildHasher;
        let parts = [secret, &creds.date, &creds.region, &creds.service];
        let id = self.key_hasher.hash_one(parts);
        if let Some(entry) = self.keys.lock().get(&id) {
            if entry.scope.iter().map(String::as_str).eq(parts) {
                return entry.key;
            }
        }
        let derived = sigv4::signing_key(secret, &creds.date, &creds.region, &creds.service);
        let mut key = [0u8; 32];
        key.copy_from_slice(&derived[..32.min(derived.len())]);
        let entry = CachedKey {
            scope: parts.map(str::to_owned),
            key,
        };
        let mut keys = self.keys.lock();
        if keys.len() >= KEY_CACHE_CAPACITY {
            keys.clear();
        }
        keys.insert(id, entry);
        key
    }
}

/// A derived signing key and the scope it was derived for.
struct CachedKey {
    scope: [String; 4],
    key: [u8; 32],
}

/// Errors of the chunk decoder renamed for JSON clients.
fn names_of_error(names: Names, e: ServiceError) -> ServiceError {
    match e.code.as_ref() {
        "SignatureDoesNotMatch" => names.mismatch(e.message),
        "IncompleteSignature" => names.incomplete(e.message),
        _ => e,
    }
}

/// Credentials with `amz_date` replaced by its ISO 8601 basic form.
fn with_date(creds: &Credentials, iso: String) -> Cow<'_, Credentials> {
    let mut owned = creds.clone();
    owned.amz_date = Some(iso);
    Cow::Owned(owned)
}

/// The payload hash the client signed: the body's SHA-256, or `UNSIGNED-PAYLOAD` /
/// `STREAMING-...` when `x-amz-content-sha256` says so. A hex value in that header is not
/// trusted: the body as received is hashed, so a body changed after signing fails.
fn payload_hash(creds: &Credentials, req: &HttpRequest) -> String {
    let declared = if creds.presigned {
        None
    } else {
        req.headers
            .get(sigv4::X_AMZ_CONTENT_SHA256)
            .and_then(|v| v.to_str().ok())
    };
    match declared {
        Some(v @ ("UNSIGNED-PAYLOAD" | sigv4::STREAMING_PAYLOAD)) => v.to_owned(),
        _ => sigv4::sha256_hex(req.body),
    }
}

/// `X-Amz-Date` (ISO 8601 basic, `20240101T000000Z`) or an HTTP `Date` as epoch seconds and
/// ISO 8601 basic.
fn normalized_date(creds: &Credentials) -> Option<(i64, Cow<'_, str>)> {
    let raw = creds.amz_date.as_deref()?.trim();
    if let Some(secs) = parse_basic(raw) {
        return Some((secs, Cow::Borrowed(raw)));
    }
    let secs = parse_http_date(raw)?;
    Some((secs, Cow::Owned(basic(secs))))
}

fn parse_basic(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    if !b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| {
        b[r].iter()
            .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'))
    };
    let (y, m, d) = (n(0..4), n(4..6), n(6..8));
    let (hh, mm, ss) = (n(9..11), n(11..13), n(13..15));
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    Some(days_from_civil(y, m, d)? * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (the only HTTP date form SDKs send).
fn parse_http_date(s: &str) -> Option<i64> {
    let mut parts = s.split_whitespace();
    let _weekday = parts.next()?;
    let day: u32 = parts.next()?.parse().ok()?;
    let month = parts.next()?;
    let year: u32 = parts.next()?.parse().ok()?;
    let time = parts.next()?;
    if parts.next()? != "GMT" {
        return None;
    }
    let m = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|n| *n == month)?
        + 1;
    let extended = format!("{year:04}-{m:02}-{day:02}T{time}Z");
    ferrybridge_protocol::timestamp::parse(&extended).map(|f| f as i64)
}

/// Epoch seconds as ISO 8601 basic (`20240101T000000Z`).
fn basic(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        t / 3600,
        t / 60 % 60,
        t % 60
    )
}

/// AWS shared-credentials INI: `[profile]` sections with `aws_access_key_id`,
/// `aws_secret_access_key`, optionally `aws_session_token` and `aws_account_id`. `#`/`;`
/// start comments; other settings (region...) are ignored.
fn read_credentials_file(
    path: &Path,
    into: &mut HashMap<String, ConfiguredKey>,
) -> Result<(), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--credentials {}: {e}", path.display()))?;
    parse_credentials_ini(&text, into).map_err(|e| format!("--credentials {}: {e}", path.display()))
}

#[derive(Default)]
struct Profile {
    name: String,
    line: usize,
    key: Option<String>,
    secret: Option<String>,
    token: Option<String>,
    account: Option<String>,
}

impl Profile {
    fn flush(self, into: &mut HashMap<String, ConfiguredKey>) -> Result<(), String> {
        match (self.key, self.secret) {
            (Some(k), Some(secret)) => {
                into.insert(
                    k,
                    ConfiguredKey {
                        secret,
                        session_token: self.token,
                        account: self.account,
                    },
                );
                Ok(())
            }
            (None, None) => Ok(()),
            _ => Err(format!(
                "profile [{}] (line {}) needs both aws_access_key_id and aws_secret_access_key",
                self.name, self.line
            )),
        }
    }
}

fn parse_credentials_ini(
    text: &str,
    into: &mut HashMap<String, ConfiguredKey>,
) -> Result<(), String> {
    let mut profile = Profile::default();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            std::mem::take(&mut profile).flush(into)?;
            profile.name = name.trim().to_owned();
            profile.line = n + 1;
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            return Err(format!("line {}: expected `name = value`", n + 1));
        };
        let v = v.trim().to_owned();
        match k.trim().to_ascii_lowercase().as_str() {
            "aws_access_key_id" => profile.key = Some(v),
            "aws_secret_access_key" => profile.secret = Some(v),
            "aws_session_token" => profile.token = Some(v),
            "aws_account_id" => {
                profile.account =
                    Some(account(&v).map_err(|e| format!("line {}: aws_account_id: {e}", n + 1))?)
            }
            _ => {}
        }
    }
    profile.flush(into)
}

fn account(value: &str) -> Result<String, String> {
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(value.to_owned())
    } else {
        Err(format!("an account id is 12 digits, not {value:?}"))
    }
}

/// `AKID=SECRET[:ACCOUNT]` entries separated by commas or whitespace. A secret may contain
/// `:`; a last `:` followed by 12 digits names the account.
fn parse_credentials_map(
    map: &str,
    into: &mut HashMap<String, ConfiguredKey>,
) -> Result<(), String> {
    for entry in map
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        let Some((k, rest)) = entry
            .split_once('=')
            .filter(|(k, r)| !k.is_empty() && !r.is_empty())
        else {
            return Err(format!(
                "--credentials-map: expected ACCESS_KEY_ID=SECRET[:ACCOUNT], got {entry:?}"
            ));
        };
        let (secret, account) = match rest.rsplit_once(':') {
            Some((secret, acct)) if !secret.is_empty() && account(acct).is_ok() => {
                (secret, Some(acct.to_owned()))
            }
            _ => (rest, None),
        };
        into.insert(
            k.to_owned(),
            ConfiguredKey {
                secret: secret.to_owned(),
                session_token: None,
                account,
            },
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_sources_parse() {
        let mut keys = HashMap::new();
        parse_credentials_ini(
            "# comment\n[default]\naws_access_key_id = AKIAONE\naws_secret_access_key = s1/+\n\n[ci]\naws_access_key_id=ASIATWO\naws_secret_access_key=s2\naws_session_token = tok\nregion = eu-west-1\n",
            &mut keys,
        )
        .unwrap();
        assert_eq!(keys["AKIAONE"].secret, "s1/+");
        assert_eq!(keys["AKIAONE"].session_token, None);
        assert_eq!(keys["ASIATWO"].session_token.as_deref(), Some("tok"));
        assert_eq!(keys["AKIAONE"].account, None);
        let err = parse_credentials_ini("[x]\naws_access_key_id = A\n", &mut keys).unwrap_err();
        assert!(err.contains("profile [x] (line 1)"), "{err}");
        parse_credentials_ini(
            "[a]\naws_access_key_id=AKIAACC\naws_secret_access_key=s\naws_account_id=111122223333\n",
            &mut keys,
        )
        .unwrap();
        assert_eq!(keys["AKIAACC"].account.as_deref(), Some("111122223333"));
        assert!(parse_credentials_ini(
            "[a]\naws_access_key_id=A\naws_secret_access_key=s\naws_account_id=12\n",
            &mut keys
        )
        .is_err());
        parse_credentials_map("K1=S1, K2=S2:444455556666\nK3=a:b", &mut keys).unwrap();
        assert_eq!(keys["K1"].secret, "S1");
        assert_eq!(keys["K2"].secret, "S2");
        assert_eq!(keys["K2"].account.as_deref(), Some("444455556666"));
        assert_eq!(keys["K3"].secret, "a:b");
        assert_eq!(keys["K3"].account, None);
        assert!(parse_credentials_map("nosecret", &mut keys).is_err());
        assert!(parse_credentials_map("=x", &mut keys).is_err());
    }

    #[test]
    fn dates() {
        assert_eq!(parse_basic("20240101T000000Z"), Some(1_704_067_200));
        assert_eq!(basic(1_704_067_200), "20240101T000000Z");
        assert_eq!(
            parse_http_date("Mon, 01 Jan 2024 00:00:00 GMT"),
            Some(1_704_067_200)
        );
        assert_eq!(parse_basic("2024-01-01T00:00:00Z"), None);
    }
}
