//! HTTPS: a local certificate authority and the TLS server configuration.
//!
//! Real AWS endpoints are HTTPS only, and some clients insist on it: AWS's SNS message
//! validators (npm `sns-validator`, the SDKs' validators) refuse a `SigningCertURL` that is not
//! `https://`, and code under test may refuse plain-HTTP endpoints. The emulator therefore
//! serves TLS on its own port (a connection whose first byte is a TLS handshake record, 0x16,
//! is served through rustls; anything else as plain HTTP, see `http_server`) and optionally on
//! a TLS-only `--https-port`.
//!
//! The certificate comes from a **local CA** made on first start and kept in `--ca-dir`
//! (default `$XDG_DATA_HOME/ferrybridge/ca`, else `~/.local/share/ferrybridge/ca`): the CA's
//! key never leaves that directory (files 0600, directory 0700), and a user trusts it once
//! (`ferrybridge ca print > ca.pem`; `AWS_CA_BUNDLE`, `NODE_EXTRA_CA_CERTS`, boto3's
//! `verify=`). The server certificate is new on every start (its own ECDSA P-256 key, signed by
//! the CA, valid 397 days), for `localhost`, `*.localhost`, `127.0.0.1`, `::1`,
//! `localhost.localstack.cloud` and `*.localhost.localstack.cloud`, AWS-style names
//! (`*.<region>.localhost`, used by `--queue-url-style host`), the bound address and the
//! `--public-host`.
//!
//! Two processes starting at once against an empty CA directory must not end up with two CAs
//! (one would serve a certificate the other's `ca.pem` does not sign): the key and certificate
//! are written together into one private file under a temporary name and hard-linked into
//! place, which fails if another process got there first; the loser then loads the winner's.
//!
//! Crypto is rustls's `ring` provider, the one the outbound HTTPS client already links: it
//! builds into the static `crt-static` release binary (`scripts/dist binary`).

use std::io::{Error, ErrorKind};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The CA's private file: its PKCS#8 key followed by its certificate (PEM), written at once.
const KEY_FILE: &str = "ca-key.pem";
/// The CA certificate alone: what clients are told to trust (`ferrybridge ca print`).
const CERT_FILE: &str = "ca.pem";

/// How long a new CA is valid: ten years (it is made once and reused).
const CA_VALIDITY: Duration = Duration::from_secs(10 * 365 * 24 * 3600);
/// How long a server certificate is valid: 397 days, the most browsers and Apple platforms
/// accept for a leaf; a new one is made on every start anyway.
const LEAF_VALIDITY: Duration = Duration::from_secs(397 * 24 * 3600);

/// Regions whose `*.<region>.localhost` names the server certificate covers (a wildcard matches
/// one label only, and `--queue-url-style host` hands out `sqs.<region>.localhost` URLs).
const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-east-1",
    "sa-east-1",
    "me-south-1",
    "af-south-1",
];

/// The default CA directory: `$XDG_DATA_HOME/ferrybridge/ca`, else
/// `$HOME/.local/share/ferrybridge/ca`; `None` without either (an empty container root).
pub fn default_ca_dir() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(data) = var("XDG_DATA_HOME") {
        return Some(PathBuf::from(data).join("ferrybridge").join("ca"));
    }
    var("HOME").map(|home| {
        PathBuf::from(home)
            .join(".local")
            .join("share")
            .join("ferrybridge")
            .join("ca")
    })
}

/// The local certificate authority.
pub struct LocalCa {
    /// The directory it lives in.
    pub dir: PathBuf,
    /// The CA certificate (PEM), as in `ca.pem`.
    pub cert_pem: String,
    key: KeyPair,
}

impl std::fmt::Debug for LocalCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalCa")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// The CA's name. Not unique on its own: the CA's certificate is re-derived from it and the key
/// (see [`issuer`]), so it must not change; the key's identifier tells two CAs apart.
fn ca_name(key: &KeyPair) -> DistinguishedName {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(key.public_key_raw());
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, "ferrybridge");
    name.push(
        DnType::CommonName,
        format!("ferrybridge local CA {}", hex::encode(&digest[..4])),
    );
    name
}

fn ca_params(key: &KeyPair) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = ca_name(key);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + CA_VALIDITY;
    params
}

/// The CA as an issuer: its name, key identifier method and key usages are what [`ca_params`]
/// gives every CA, so they are the same as in the stored certificate.
fn issuer(key: &KeyPair) -> Issuer<'_, &KeyPair> {
    Issuer::new(ca_params(key), key)
}

fn invalid(dir: &Path, what: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::InvalidData,
        format!("CA directory {}: {what}", dir.display()),
    )
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// Writes `contents` to `path` (0600) through a temporary file in the same directory.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let tmp = path.with_extension(format!(
        "tmp-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4()
    ));
    let mut file = private_file(&tmp)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

impl LocalCa {
    /// The CA in `dir`: loaded when `ca-key.pem` exists, otherwise made and stored there.
    pub fn load_or_create(dir: &Path) -> std::io::Result<LocalCa> {
        let key_path = dir.join(KEY_FILE);
        match std::fs::read_to_string(&key_path) {
            Ok(text) => return LocalCa::from_key_file(dir, &text),
            Err(err) if err.kind() == ErrorKind::NotFound => {}
            Err(err) => return Err(err),
        }
        create_private_dir(dir)?;
        let key = KeyPair::generate().map_err(|e| invalid(dir, e))?;
        let cert = ca_params(&key)
            .self_signed(&key)
            .map_err(|e| invalid(dir, e))?;
        let both = format!("{}{}", key.serialize_pem(), cert.pem());
        // Written under a unique name, then linked into place: `hard_link` fails when the
        // file exists, so of two processes starting at once exactly one CA wins.
        let tmp = dir.join(format!(
            "{KEY_FILE}.tmp-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        {
            use std::io::Write as _;
            let mut file = private_file(&tmp)?;
            file.write_all(both.as_bytes())?;
            file.sync_all()?;
        }
        let linked = std::fs::hard_link(&tmp, &key_path);
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => {
                tracing::info!(dir = %dir.display(), "created a local certificate authority for HTTPS");
                LocalCa::from_key_file(dir, &both)
            }
            Err(err) if err.kind() == ErrorKind::AlreadyExists => {
                LocalCa::from_key_file(dir, &std::fs::read_to_string(&key_path)?)
            }
            Err(err) => Err(err),
        }
    }

    /// Reads the CA back from the private file's text; (re)writes `ca.pem` when it is missing
    /// or differs.
    fn from_key_file(dir: &Path, text: &str) -> std::io::Result<LocalCa> {
        let start = text
            .find("-----BEGIN CERTIFICATE-----")
            .ok_or_else(|| invalid(dir, format!("{KEY_FILE} holds no certificate")))?;
        let (key_pem, cert_pem) = text.split_at(start);
        let key = KeyPair::from_pem(key_pem).map_err(|e| invalid(dir, e))?;
        let cert_pem = cert_pem.trim_end().to_owned() + "\n";
        let cert_path = dir.join(CERT_FILE);
        if std::fs::read_to_string(&cert_path).ok().as_deref() != Some(cert_pem.as_str()) {
            write_private(&cert_path, &cert_pem)?;
        }
        Ok(LocalCa {
            dir: dir.to_owned(),
            cert_pem,
            key,
        })
    }

    /// A new server certificate for `names` (DNS names and IP addresses), signed by this CA,
    /// and the rustls configuration that serves it (HTTP/1.1 and h2 by ALPN).
    pub fn server_config(&self, names: &[String]) -> std::io::Result<Arc<rustls::ServerConfig>> {
        let key = KeyPair::generate().map_err(|e| invalid(&self.dir, e))?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, "ferrybridge");
        dn.push(DnType::CommonName, "localhost");
        params.distinguished_name = dn;
        let mut sans = Vec::new();
        for name in names {
            let san = match name.parse::<IpAddr>() {
                Ok(ip) => SanType::IpAddress(ip),
                Err(_) => match name.clone().try_into() {
                    Ok(dns) => SanType::DnsName(dns),
                    Err(_) => continue,
                },
            };
            if !sans.contains(&san) {
                sans.push(san);
            }
        }
        params.subject_alt_names = sans;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + LEAF_VALIDITY;
        let cert = params
            .signed_by(&key, &issuer(&self.key))
            .map_err(|e| invalid(&self.dir, e))?;
        let chain = vec![
            cert.der().clone(),
            CertificateDer::from(pem_der(&self.cert_pem).ok_or_else(|| {
                invalid(&self.dir, format!("{CERT_FILE} is not a PEM certificate"))
            })?),
        ];
        let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(&self.dir, e))?
            .with_no_client_auth()
            .with_single_cert(chain, private)
            .map_err(|e| invalid(&self.dir, e))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// The DER bytes of the first PEM block of `pem`.
fn pem_der(pem: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let body: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

/// The names the server certificate covers: loopback names, LocalStack's names, AWS-style
/// regional names, the bound address and the public host (without its port).
pub fn server_names(bound: IpAddr, public_host: Option<&str>) -> Vec<String> {
    let mut names: Vec<String> = [
        "localhost",
        "*.localhost",
        "127.0.0.1",
        "::1",
        "localhost.localstack.cloud",
        "*.localhost.localstack.cloud",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for region in REGIONS {
        names.push(format!("*.{region}.localhost"));
    }
    if !bound.is_unspecified() {
        names.push(bound.to_string());
    }
    if let Some(host) = public_host.map(strip_port).filter(|h| !h.is_empty()) {
        names.push(host.to_owned());
    }
    names
}

/// `host` of `host[:port]`, `[v6]:port` or `v6`.
pub fn strip_port(host_port: &str) -> &str {
    let s = host_port.trim();
    if let Some(rest) = s.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match s.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            host
        }
        _ => s,
    }
}

/// The TLS set-up of a server: the CA and the rustls configuration built from it.
pub struct Tls {
    pub ca: LocalCa,
    pub acceptor: tokio_rustls::TlsAcceptor,
}

impl Tls {
    /// Loads or makes the CA in `dir` and a server certificate for `names`.
    pub fn new(dir: &Path, names: &[String]) -> std::io::Result<Tls> {
        let ca = LocalCa::load_or_create(dir)?;
        let config = ca.server_config(names)?;
        Ok(Tls {
            ca,
            acceptor: tokio_rustls::TlsAcceptor::from(config),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_port_forms() {
        assert_eq!(strip_port("localhost:4566"), "localhost");
        assert_eq!(strip_port("example.test"), "example.test");
        assert_eq!(strip_port("[::1]:4566"), "::1");
        assert_eq!(strip_port("::1"), "::1");
        assert_eq!(strip_port("10.0.0.5:80"), "10.0.0.5");
    }

    #[test]
    fn ca_is_made_once_and_reused() {
        let dir = std::env::temp_dir().join(format!("fb-ca-{}", uuid::Uuid::new_v4()));
        let first = LocalCa::load_or_create(&dir).unwrap();
        let again = LocalCa::load_or_create(&dir).unwrap();
        assert_eq!(first.cert_pem, again.cert_pem);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            for file in [KEY_FILE, CERT_FILE] {
                let mode = std::fs::metadata(dir.join(file))
                    .unwrap()
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o777, 0o600, "{file}");
            }
        }
        assert_eq!(
            std::fs::read_to_string(dir.join(CERT_FILE)).unwrap(),
            first.cert_pem
        );
        first
            .server_config(&server_names(
                IpAddr::from([127, 0, 0, 1]),
                Some("fb.test:1"),
            ))
            .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
