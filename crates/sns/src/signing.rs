//! SNS message signatures.
//!
//! Amazon SNS signs every `Notification`, `SubscriptionConfirmation` and
//! `UnsubscribeConfirmation` it delivers. A receiver rebuilds the canonical string from the
//! message's fields ("Verifying the signatures of Amazon SNS messages" in the AWS docs), fetches
//! the certificate at `SigningCertURL` and checks `Signature` with its public key:
//! `SignatureVersion` `1` is SHA1withRSA, `2` is SHA256withRSA, both PKCS#1 v1.5, base64.
//!
//! The emulator does the same with its own RSA-1024 key and a self-signed certificate for
//! `CN=sns.amazonaws.com`, so validators that take the certificate from the URL in the message
//! (the AWS SDKs' message validators, npm `sns-validator`, Python validators) accept our
//! messages unchanged. The key is generated once per [`Signer`], on a background thread: RSA key
//! generation takes tens to hundreds of milliseconds and must not delay start-up.

use std::str::FromStr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer as _};
use rsa::RsaPrivateKey;
use sha1::Sha1;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::EncodePem;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::Validity;

/// The subject (and, self-signed, the issuer) of the signing certificate: the common name of the
/// certificates AWS serves at `https://sns.<region>.amazonaws.com/SimpleNotificationService-*.pem`.
pub const CERTIFICATE_SUBJECT: &str = "CN=sns.amazonaws.com";

/// How long the generated certificate is valid, from the moment it is made: ten years.
const CERTIFICATE_VALIDITY: Duration = Duration::from_secs(10 * 365 * 24 * 60 * 60);

/// RSA modulus size of the signing key. AWS's SNS certificates carry 2048-bit keys, but every
/// non-FIFO notification is signed, and a 2048-bit signature costs ~1.8 ms of CPU against
/// ~0.33 ms for 1024 bits: the smaller key makes signed fan-out five times faster. The key
/// size is not visible on the wire, and validators (AWS SDKs, npm `sns-validator`, Java's
/// default `jdk.certpath.disabledAlgorithms` floor of 1024) accept it.
const KEY_BITS: usize = 1024;

/// The `Type` of a signed SNS message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    Notification,
    SubscriptionConfirmation,
    UnsubscribeConfirmation,
}

impl MessageType {
    /// The value of the message's `Type` field (and of the `x-amz-sns-message-type` header).
    pub fn as_str(&self) -> &'static str {
        match self {
            MessageType::Notification => "Notification",
            MessageType::SubscriptionConfirmation => "SubscriptionConfirmation",
            MessageType::UnsubscribeConfirmation => "UnsubscribeConfirmation",
        }
    }
}

/// The fields of a message that its signature covers.
///
/// `subject` is used for notifications only (and only when present); `subscribe_url` and
/// `token` for the two confirmation types only.
#[derive(Debug, Clone, Copy)]
pub struct SignedFields<'a> {
    pub kind: MessageType,
    pub message: &'a str,
    pub message_id: &'a str,
    pub subject: Option<&'a str>,
    pub subscribe_url: Option<&'a str>,
    pub timestamp: &'a str,
    pub token: Option<&'a str>,
    pub topic_arn: &'a str,
}

/// The canonical string SNS signs: each covered field as `Name\nvalue\n`, names in byte order.
///
/// Notification: `Message`, `MessageId`, `Subject` (only when present), `Timestamp`, `TopicArn`,
/// `Type`. SubscriptionConfirmation and UnsubscribeConfirmation: `Message`, `MessageId`,
/// `SubscribeURL`, `Timestamp`, `Token`, `TopicArn`, `Type`.
pub fn string_to_sign(fields: &SignedFields) -> String {
    let mut out = String::with_capacity(
        fields.message.len()
            + fields.message_id.len()
            + fields.subject.map_or(0, str::len)
            + fields.subscribe_url.map_or(0, str::len)
            + fields.timestamp.len()
            + fields.token.map_or(0, str::len)
            + fields.topic_arn.len()
            + 96,
    );
    let mut push = |name: &str, value: &str| {
        out.push_str(name);
        out.push('\n');
        out.push_str(value);
        out.push('\n');
    };
    push("Message", fields.message);
    push("MessageId", fields.message_id);
    match fields.kind {
        MessageType::Notification => {
            if let Some(subject) = fields.subject {
                push("Subject", subject);
            }
        }
        MessageType::SubscriptionConfirmation | MessageType::UnsubscribeConfirmation => {
            push("SubscribeURL", fields.subscribe_url.unwrap_or_default());
        }
    }
    push("Timestamp", fields.timestamp);
    if fields.kind != MessageType::Notification {
        push("Token", fields.token.unwrap_or_default());
    }
    push("TopicArn", fields.topic_arn);
    push("Type", fields.kind.as_str());
    out
}

/// Signs SNS messages with one RSA key and serves the certificate for it.
///
/// Cheap to share (`Arc<Signer>`); `Send + Sync`. [`Signer::sign`] is CPU work (about 2 ms per
/// signature in a release build, tens of ms in a debug build), so call it where blocking a
/// thread briefly is acceptable.
#[derive(Debug)]
pub struct Signer {
    keys: OnceLock<Keys>,
}

struct Keys {
    sha1: SigningKey<Sha1>,
    sha256: SigningKey<Sha256>,
    certificate_pem: String,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys").finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer whose RSA-1024 key and self-signed certificate (`CN=sns.amazonaws.com`, valid
    /// for ten years) are being generated on a background thread. Returns at once; the first
    /// [`Signer::sign`] or [`Signer::certificate_pem`] waits for the key if it is not ready.
    pub fn generate() -> Arc<Signer> {
        let signer = Arc::new(Signer {
            keys: OnceLock::new(),
        });
        let background = Arc::clone(&signer);
        // If no thread can be spawned the key is made by the first caller instead.
        let _ = std::thread::Builder::new()
            .name("sns-signing-key".to_owned())
            .spawn(move || {
                background.keys();
            });
        signer
    }

    /// One signer for the whole process, made on first use: servers started in the same process
    /// (tests start many) share a key instead of each generating one.
    pub fn shared() -> Arc<Signer> {
        static SHARED: OnceLock<Arc<Signer>> = OnceLock::new();
        Arc::clone(SHARED.get_or_init(Signer::generate))
    }

    /// `--data-dir`: the signer whose key and certificate are kept in `path` (created, mode
    /// 0600, with a new key if missing), so that signatures and `SigningCertURL`s from before a
    /// restart still verify after it. The file holds the PKCS#8 private key and the
    /// certificate, PEM-encoded.
    pub fn load_or_create(path: &std::path::Path) -> Result<Arc<Signer>, String> {
        let keys = match std::fs::read_to_string(path) {
            Ok(text) => keys_from_file(&text)
                .map_err(|e| format!("cannot read the SNS signing key {}: {e}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let (keys, file) = generate_keys_with_file()?;
                write_private(path, file.as_bytes())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                keys
            }
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let signer = Signer {
            keys: OnceLock::new(),
        };
        let _ = signer.keys.set(keys);
        Ok(Arc::new(signer))
    }

    /// Whether the key has been generated (nothing waits if it has).
    pub fn is_ready(&self) -> bool {
        self.keys.get().is_some()
    }

    /// The signing certificate, PEM-encoded (`-----BEGIN CERTIFICATE-----`, LF line endings):
    /// what `SigningCertURL` must serve. Waits for the key if needed.
    pub fn certificate_pem(&self) -> String {
        self.keys().certificate_pem.clone()
    }

    /// The base64 `Signature` of `fields` for `signature_version` `"2"` (SHA256withRSA); any
    /// other value, `"1"` included, signs with SHA1withRSA, SNS's default. Waits for the key if
    /// needed.
    pub fn sign(&self, signature_version: &str, fields: &SignedFields) -> String {
        let text = string_to_sign(fields);
        let keys = self.keys();
        let signature = if signature_version == "2" {
            keys.sha256.sign(text.as_bytes()).to_vec()
        } else {
            keys.sha1.sign(text.as_bytes()).to_vec()
        };
        base64::engine::general_purpose::STANDARD.encode(signature)
    }

    fn keys(&self) -> &Keys {
        // OnceLock runs one initialiser; concurrent callers block until it has finished.
        self.keys.get_or_init(|| {
            generate_keys().unwrap_or_else(|error| {
                // Every input is a constant of this module: this is a bug, not a runtime state.
                panic!("generating the SNS signing key and certificate failed: {error}")
            })
        })
    }
}

fn generate_keys() -> Result<Keys, String> {
    generate_keys_with_file().map(|(keys, _)| keys)
}

/// New keys, and their file for [`Signer::load_or_create`].
fn generate_keys_with_file() -> Result<(Keys, String), String> {
    use rsa::pkcs8::EncodePrivateKey;
    let mut rng = rand::rngs::OsRng;
    let private_key = RsaPrivateKey::new(&mut rng, KEY_BITS).map_err(|e| e.to_string())?;
    let key_pem = private_key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| e.to_string())?;
    let keys = keys_with_new_certificate(private_key)?;
    let file = format!("{}{}", &*key_pem, keys.certificate_pem);
    Ok((keys, file))
}

/// The keys of a file written by [`Signer::load_or_create`].
fn keys_from_file(text: &str) -> Result<Keys, String> {
    use rsa::pkcs8::DecodePrivateKey;
    const CERT: &str = "-----BEGIN CERTIFICATE-----";
    let at = text.find(CERT).ok_or("no certificate in the file")?;
    let private_key = RsaPrivateKey::from_pkcs8_pem(&text[..at]).map_err(|e| e.to_string())?;
    Ok(Keys {
        sha256: SigningKey::<Sha256>::new(private_key.clone()),
        sha1: SigningKey::<Sha1>::new(private_key),
        certificate_pem: text[at..].to_string(),
    })
}

/// Writes `bytes` to `path` readable by its owner only (0600), atomically and durably.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

fn keys_with_new_certificate(private_key: RsaPrivateKey) -> Result<Keys, String> {
    let mut rng = rand::rngs::OsRng;
    let public_key_der = private_key
        .to_public_key()
        .to_public_key_der()
        .map_err(|e| e.to_string())?;
    let sha256 = SigningKey::<Sha256>::new(private_key.clone());
    let sha1 = SigningKey::<Sha1>::new(private_key);

    let subject = Name::from_str(CERTIFICATE_SUBJECT).map_err(|e| e.to_string())?;
    let spki = SubjectPublicKeyInfoOwned::try_from(public_key_der.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut serial = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rng, &mut serial);
    serial[0] &= 0x7f; // a positive INTEGER
    serial[0] |= 0x01; // with no leading zero byte
    let serial = SerialNumber::new(&serial).map_err(|e| e.to_string())?;
    let validity = Validity::from_now(CERTIFICATE_VALIDITY).map_err(|e| e.to_string())?;
    let profile = Profile::Leaf {
        issuer: subject.clone(),
        enable_key_agreement: false,
        enable_key_encipherment: false,
    };
    let certificate = CertificateBuilder::new(profile, serial, validity, subject, spki, &sha256)
        .map_err(|e| e.to_string())?
        .build::<rsa::pkcs1v15::Signature>()
        .map_err(|e| e.to_string())?;
    let certificate_pem = certificate
        .to_pem(LineEnding::LF)
        .map_err(|e| e.to_string())?;
    Ok(Keys {
        sha1,
        sha256,
        certificate_pem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::pkcs8::DecodePublicKey;
    use rsa::signature::Verifier;
    use rsa::RsaPublicKey;
    use x509_cert::der::{Decode, DecodePem, Encode};
    use x509_cert::Certificate;

    /// The public key of a PEM certificate, taken from the certificate itself.
    fn public_key_of(pem: &str) -> RsaPublicKey {
        let certificate = Certificate::from_pem(pem.as_bytes()).expect("a PEM certificate");
        let spki = certificate
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .expect("SPKI re-encodes");
        RsaPublicKey::from_public_key_der(&spki).expect("an RSA public key")
    }

    fn notification<'a>(subject: Option<&'a str>) -> SignedFields<'a> {
        SignedFields {
            kind: MessageType::Notification,
            message: "Hello world!",
            message_id: "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
            subject,
            subscribe_url: None,
            timestamp: "2012-05-02T00:54:06.655Z",
            token: None,
            topic_arn: "arn:aws:sns:us-east-1:123456789012:MyTopic",
        }
    }

    #[test]
    fn notification_string_includes_subject_only_when_present() {
        assert_eq!(
            string_to_sign(&notification(Some("My First Message"))),
            "Message\nHello world!\nMessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n\
             Subject\nMy First Message\nTimestamp\n2012-05-02T00:54:06.655Z\n\
             TopicArn\narn:aws:sns:us-east-1:123456789012:MyTopic\nType\nNotification\n"
        );
        assert_eq!(
            string_to_sign(&notification(None)),
            "Message\nHello world!\nMessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n\
             Timestamp\n2012-05-02T00:54:06.655Z\n\
             TopicArn\narn:aws:sns:us-east-1:123456789012:MyTopic\nType\nNotification\n"
        );
    }

    #[test]
    fn confirmation_string_has_subscribe_url_and_token_and_no_subject() {
        let fields = SignedFields {
            kind: MessageType::SubscriptionConfirmation,
            message: "You have chosen to subscribe to the topic.",
            message_id: "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
            subject: Some("ignored for confirmations"),
            subscribe_url: Some("https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37"),
            timestamp: "2012-04-26T20:45:04.751Z",
            token: Some("2336412f37"),
            topic_arn: "arn:aws:sns:us-west-2:123456789012:MyTopic",
        };
        assert_eq!(
            string_to_sign(&fields),
            "Message\nYou have chosen to subscribe to the topic.\n\
             MessageId\n165545c9-2a5c-472c-8df2-7ff2be2b3b1b\n\
             SubscribeURL\nhttps://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37\n\
             Timestamp\n2012-04-26T20:45:04.751Z\nToken\n2336412f37\n\
             TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\nType\nSubscriptionConfirmation\n"
        );
        let unsubscribe = SignedFields {
            kind: MessageType::UnsubscribeConfirmation,
            ..fields
        };
        assert!(string_to_sign(&unsubscribe).ends_with("Type\nUnsubscribeConfirmation\n"));
    }

    /// A notification AWS signed (SignatureVersion 1) and the certificate it was signed with, as
    /// kept by the AWS SDK for Java v2 for its own validator tests
    /// (services/sns/src/test/resources/.../sample-message.json and unit-test-public-cert.pem).
    /// Our canonical string must be byte-for-byte the one AWS signed, or this fails.
    #[test]
    fn canonical_string_verifies_a_signature_made_by_aws() {
        const AWS_CERT: &str = "-----BEGIN CERTIFICATE-----
MIIE2zCCA8OgAwIBAgIQEyYsBRbV0xBZovJwPnu51TANBgkqhkiG9w0BAQsFADB+
MQswCQYDVQQGEwJVUzEdMBsGA1UEChMUU3ltYW50ZWMgQ29ycG9yYXRpb24xHzAd
BgNVBAsTFlN5bWFudGVjIFRydXN0IE5ldHdvcmsxLzAtBgNVBAMTJlN5bWFudGVj
IENsYXNzIDMgU2VjdXJlIFNlcnZlciBDQSAtIEc0MB4XDTE1MDgwNzAwMDAwMFoX
DTE2MDgyMTIzNTk1OVowazELMAkGA1UEBhMCVVMxEzARBgNVBAgMCldhc2hpbmd0
b24xEDAOBgNVBAcMB1NlYXR0bGUxGTAXBgNVBAoMEEFtYXpvbi5jb20sIEluYy4x
GjAYBgNVBAMMEXNucy5hbWF6b25hd3MuY29tMIIBIjANBgkqhkiG9w0BAQEFAAOC
AQ8AMIIBCgKCAQEAhJxlGxd4K3wE9m2DFSnUDa+8f9VtclE63p3IgP4Ek/JruNCl
M8yQiZWhXxTu+ASn6plnL5kIQNv/OzpRkC2ko1hjx31JQmjL9H29AlQgVXr4UeIm
RZc8AGqh00xLvopj3J+t/oigH5zeMh+rhOYoqr9NjvFUIFfFat42XOhUNpOyPiLb
N6yuD7Vec7jlVeTG9q7W+V0TupmiQ+pM/RX+ksCCFlQkLH8fB3H4Nr7IHjWuAify
Z+djibL1CR/e2rEDAmpK1wA4Hkx5YFNDAp/WgAs6nSq7MtEvfs1oP1dHwYaNA8Z2
zcYGqb5ORtz1bFZy+JLzf7K/PnqEzkf8ywC3IwIDAQABo4IBZjCCAWIwHAYDVR0R
BBUwE4IRc25zLmFtYXpvbmF3cy5jb20wCQYDVR0TBAIwADAOBgNVHQ8BAf8EBAMC
BaAwHQYDVR0lBBYwFAYIKwYBBQUHAwEGCCsGAQUFBwMCMGEGA1UdIARaMFgwVgYG
Z4EMAQICMEwwIwYIKwYBBQUHAgEWF2h0dHBzOi8vZC5zeW1jYi5jb20vY3BzMCUG
CCsGAQUFBwICMBkaF2h0dHBzOi8vZC5zeW1jYi5jb20vcnBhMB8GA1UdIwQYMBaA
FF9gz2GQVd+EQxSKYCqy9Xr0QxjvMCsGA1UdHwQkMCIwIKAeoByGGmh0dHA6Ly9z
cy5zeW1jYi5jb20vc3MuY3JsMFcGCCsGAQUFBwEBBEswSTAfBggrBgEFBQcwAYYT
aHR0cDovL3NzLnN5bWNkLmNvbTAmBggrBgEFBQcwAoYaaHR0cDovL3NzLnN5bWNi
LmNvbS9zcy5jcnQwDQYJKoZIhvcNAQELBQADggEBADJP+dxUtQlrRiyt4xn8R184
wjyf/OVfnA2YqIKPQKz17JPwmm1grDGGw2A6LvsIENHZFg67twZqHgrzmtL4iVrv
lBCef1QA4AUyUZsJWobx7cCB44PlVcfad69q61OzXMSVUSWzyvw3PU7NW/b2Ny9C
Zj1p/uwaUOlS6NQTkAlAqE8JZK5f8/kAcoebd0GWBcJwZ5AY0/5ZMzaa55hW+im8
GzjWCO0mkK6swdvpPYPeQUQ2lb/mqj6HBHa864sgPMgjyx9TuviYWsKhbUZIpysy
tKvJsKCmyR4pp0HpCsf0tOxrWRjH9cnuqrR//iKXPw3HlYpa5wu9c51cLH/D3dU=
-----END CERTIFICATE-----
";
        const AWS_SIGNATURE: &str = "fQh5DUyhpw41y6tx/BJuqK2Clvs7uY6N7poaOfzK08E+C6saKq9dMz5b9A0lGWWU7VsB+qHELBaL3OdS9U4BmFI36Ppt5Q6BsWmqSho+1hgwBYFFFZghO6BYXxsNmLml1yZl2X+MQKy3D516hgN7pUvYnvvq2cfsvy21ivU6Oiv96gcte2s+aPUi6O9CAdc2GfZRXCqC9wowKoxhFUUQW/UTHQfxt/60qWgNxhhVwAbPtnXWkAXwxixYKl5qOHcl3u2TxkAHn+1X8XmgjnpvEO5p0vQvOEHXBnGsjPglRXE9g5FVnAFXjhvHXeTWUcVLNI0eSRJeOBPbKpkjeDsR4g==";
        let fields = SignedFields {
            kind: MessageType::Notification,
            message: "boo",
            message_id: "d39649d4-bf5b-5b80-af75-07acb3dd9b4a",
            subject: Some("this is raw"),
            subscribe_url: None,
            timestamp: "2015-09-20T01:22:14.001Z",
            token: None,
            topic_arn: "arn:aws:sns:us-east-1:810605503585:just_testing",
        };
        let key = VerifyingKey::<Sha1>::new(public_key_of(AWS_CERT));
        let signature_bytes = base64::engine::general_purpose::STANDARD
            .decode(AWS_SIGNATURE)
            .expect("base64");
        let signature = Signature::try_from(signature_bytes.as_slice()).expect("signature");
        key.verify(string_to_sign(&fields).as_bytes(), &signature)
            .expect("AWS's signature verifies against our canonical string");

        let tampered = SignedFields {
            message: "boo!",
            ..fields
        };
        assert!(key
            .verify(string_to_sign(&tampered).as_bytes(), &signature)
            .is_err());
    }

    #[test]
    fn both_signature_versions_verify_with_the_key_from_the_certificate() {
        let signer = Signer::shared();
        let pem = signer.certificate_pem();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(pem.trim_end().ends_with("-----END CERTIFICATE-----"));
        let public_key = public_key_of(&pem);
        let fields = notification(Some("subject"));
        let text = string_to_sign(&fields);
        let decode = |b64: String| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .expect("base64");
            assert_eq!(bytes.len(), KEY_BITS / 8, "one RSA block");
            Signature::try_from(bytes.as_slice()).expect("signature")
        };

        let v1 = decode(signer.sign("1", &fields));
        VerifyingKey::<Sha1>::new(public_key.clone())
            .verify(text.as_bytes(), &v1)
            .expect("SignatureVersion 1 is SHA1withRSA");
        assert!(VerifyingKey::<Sha256>::new(public_key.clone())
            .verify(text.as_bytes(), &v1)
            .is_err());

        let v2 = decode(signer.sign("2", &fields));
        VerifyingKey::<Sha256>::new(public_key.clone())
            .verify(text.as_bytes(), &v2)
            .expect("SignatureVersion 2 is SHA256withRSA");
        assert!(VerifyingKey::<Sha1>::new(public_key.clone())
            .verify(text.as_bytes(), &v2)
            .is_err());

        let other = string_to_sign(&notification(None));
        assert!(VerifyingKey::<Sha1>::new(public_key)
            .verify(other.as_bytes(), &v1)
            .is_err());
    }

    #[test]
    fn certificate_is_self_signed_for_sns_amazonaws_com_and_valid_for_years() {
        let signer = Signer::shared();
        let certificate =
            Certificate::from_pem(signer.certificate_pem().as_bytes()).expect("certificate");
        let tbs = &certificate.tbs_certificate;
        assert_eq!(tbs.subject.to_string(), "CN=sns.amazonaws.com");
        assert_eq!(tbs.issuer, tbs.subject);
        let not_before = tbs.validity.not_before.to_unix_duration();
        let not_after = tbs.validity.not_after.to_unix_duration();
        assert!(not_after - not_before >= Duration::from_secs(9 * 365 * 24 * 3600));

        // The certificate's own signature checks out with the key it carries.
        let key = VerifyingKey::<Sha256>::new(
            RsaPublicKey::from_public_key_der(&tbs.subject_public_key_info.to_der().expect("spki"))
                .expect("rsa key"),
        );
        let signature = Signature::try_from(certificate.signature.raw_bytes()).expect("sig");
        key.verify(&tbs.to_der().expect("tbs"), &signature)
            .expect("self-signed");
        // Round trip through DER, as a validator that converts PEM would do.
        let der = certificate.to_der().expect("der");
        assert_eq!(Certificate::from_der(&der).expect("decodes"), certificate);
    }

    #[test]
    fn signers_are_independent_and_shared_is_one() {
        let own = Signer::generate();
        assert_ne!(own.certificate_pem(), Signer::shared().certificate_pem());
        assert!(Arc::ptr_eq(&Signer::shared(), &Signer::shared()));
    }

    #[test]
    fn a_kept_key_signs_the_same_after_a_reload_and_its_file_is_owner_only() {
        let dir = std::env::temp_dir().join(format!("fb-signer-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("key.pem");
        let _ = std::fs::remove_file(&path);
        let first = Signer::load_or_create(&path).expect("created");
        let signature = first.sign("1", &notification(None));
        let again = Signer::load_or_create(&path).expect("loaded");
        assert_eq!(again.certificate_pem(), first.certificate_pem());
        assert_eq!(again.sign("1", &notification(None)), signature);
        let key = public_key_of(&again.certificate_pem());
        let raw = base64::engine::general_purpose::STANDARD
            .decode(again.sign("2", &notification(None)))
            .expect("base64");
        VerifyingKey::<Sha256>::new(key)
            .verify(
                string_to_sign(&notification(None)).as_bytes(),
                &Signature::try_from(raw.as_slice()).expect("signature"),
            )
            .expect("verifies");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "garbage").expect("write");
        assert!(Signer::load_or_create(&path).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn message_type_names() {
        assert_eq!(MessageType::Notification.as_str(), "Notification");
        assert_eq!(
            MessageType::SubscriptionConfirmation.as_str(),
            "SubscriptionConfirmation"
        );
        assert_eq!(
            MessageType::UnsubscribeConfirmation.as_str(),
            "UnsubscribeConfirmation"
        );
    }
}
