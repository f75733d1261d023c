//! AWS Signature Version 4: parsing the `Authorization` header / presigned query parameters,
//! and verifying a signature given the secret key.
//!
//! Parsing never fails silently: a garbled header is an `IncompleteSignature` error with AWS's
//! wording, a request without any signature is [`AuthError::Missing`], which the server may
//! choose to accept (ferrybridge does not require credentials by default).

use hmac::{Hmac, Mac};
use http::HeaderMap;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

use crate::ServiceError;

/// The only algorithm AWS accepts.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Account used when the access key does not name one.
pub const DEFAULT_ACCOUNT_ID: &str = "000000000000";

/// What a SigV4 signature claims: who signed, for which scope, over which headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The access key id (`AKIA...`, `ASIA...`; a 12-digit one names the account).
    pub access_key_id: String,
    /// Scope date, `YYYYMMDD`.
    pub date: String,
    /// Scope region (`us-east-1`).
    pub region: String,
    /// Scope service (`sqs`, `sns`, `events`).
    pub service: String,
    /// Lower-case header names, in the order given.
    pub signed_headers: Vec<String>,
    /// Hex signature.
    pub signature: String,
    /// `X-Amz-Date` (`YYYYMMDDTHHMMSSZ`) from the header or the presigned query, if present.
    pub amz_date: Option<String>,
    /// Whether the signature came from query parameters (presigned URL).
    pub presigned: bool,
}

impl Credentials {
    /// Assembles what a header or a presigned URL said; `signed_headers` is the raw
    /// `;`-separated list, kept lower-case as the canonical request needs it.
    fn new(
        scope: Scope,
        signed_headers: &str,
        signature: String,
        amz_date: Option<String>,
        presigned: bool,
    ) -> Credentials {
        Credentials {
            access_key_id: scope.access_key_id,
            date: scope.date,
            region: scope.region,
            service: scope.service,
            signed_headers: signed_headers
                .split(';')
                .filter(|h| !h.is_empty())
                .map(str::to_ascii_lowercase)
                .collect(),
            signature,
            amz_date,
            presigned,
        }
    }

    /// The account the request acts as: see [`account_for_access_key`].
    pub fn account_id<'a>(&'a self, default: &'a str) -> &'a str {
        account_for_access_key(&self.access_key_id, default)
    }
}

/// A 12-digit numeric access key is taken as the account id (a convention of local emulators);
/// any other key acts as `default` (normally [`DEFAULT_ACCOUNT_ID`]).
pub fn account_for_access_key<'a>(access_key: &'a str, default: &'a str) -> &'a str {
    if access_key.len() == 12 && access_key.bytes().all(|b| b.is_ascii_digit()) {
        access_key
    } else {
        default
    }
}

/// Why no credentials could be taken from a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// Neither an `Authorization` header nor `X-Amz-Algorithm`/`X-Amz-Credential` parameters.
    Missing,
    /// A signature is there but garbled (`IncompleteSignature`).
    Invalid(ServiceError),
}

impl AuthError {
    /// The AWS error to answer with.
    pub fn to_service_error(&self) -> ServiceError {
        match self {
            AuthError::Missing => missing_token_error(),
            AuthError::Invalid(e) => e.clone(),
        }
    }
}

/// `MissingAuthenticationToken`, what AWS answers to an unsigned request.
pub fn missing_token_error() -> ServiceError {
    ServiceError::new(
        "MissingAuthenticationToken",
        "Request is missing Authentication Token",
    )
}

fn incomplete(msg: impl Into<String>) -> AuthError {
    AuthError::Invalid(ServiceError::new("IncompleteSignature", msg))
}

struct Scope {
    access_key_id: String,
    date: String,
    region: String,
    service: String,
}

fn parse_credential(cred: &str) -> Result<Scope, AuthError> {
    let parts: Vec<&str> = cred.split('/').collect();
    if parts.len() != 5 {
        return Err(incomplete(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{cred}'"
        )));
    }
    if parts[4] != "aws4_request" {
        return Err(incomplete(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'.",
            parts[4]
        )));
    }
    if parts[1].len() != 8 || !parts[1].bytes().all(|b| b.is_ascii_digit()) {
        return Err(incomplete(format!(
            "Credential should be scoped to a valid date, not '{}'.",
            parts[1]
        )));
    }
    if parts[2].is_empty() {
        return Err(incomplete(
            "Credential should be scoped to a valid region. ",
        ));
    }
    if parts[3].is_empty() {
        return Err(incomplete(
            "Credential should be scoped to correct service. ",
        ));
    }
    Ok(Scope {
        access_key_id: parts[0].to_string(),
        date: parts[1].to_string(),
        region: parts[2].to_string(),
        service: parts[3].to_string(),
    })
}

/// Parses an `Authorization` header value
/// (`AWS4-HMAC-SHA256 Credential=.../aws4_request, SignedHeaders=host;x-amz-date, Signature=...`).
/// `amz_date` is the request's `X-Amz-Date` header, if any.
pub fn parse_authorization(value: &str, amz_date: Option<&str>) -> Result<Credentials, AuthError> {
    let value_t = value.trim();
    let (algorithm, rest) = value_t.split_once(' ').unwrap_or((value_t, ""));
    if algorithm != ALGORITHM {
        return Err(incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'. Authorization={value}"
        )));
    }
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let Some((k, v)) = part.trim().split_once('=') else {
            continue;
        };
        match k.trim() {
            "Credential" => credential = Some(v.trim()),
            "SignedHeaders" => signed = Some(v.trim()),
            "Signature" => signature = Some(v.trim()),
            _ => {}
        }
    }
    let mut missing = String::new();
    if credential.is_none() {
        missing.push_str("Authorization header requires 'Credential' parameter. ");
    }
    if signature.is_none() {
        missing.push_str("Authorization header requires 'Signature' parameter. ");
    }
    if signed.is_none() {
        missing.push_str("Authorization header requires 'SignedHeaders' parameter. ");
    }
    if amz_date.is_none() {
        missing.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature) else {
        return Err(incomplete(format!("{missing}Authorization={value}")));
    };
    Ok(Credentials::new(
        parse_credential(credential)?,
        signed,
        signature.to_string(),
        amz_date.map(str::to_string),
        false,
    ))
}

/// Parses presigned-URL parameters (`X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-SignedHeaders`,
/// `X-Amz-Signature`, `X-Amz-Date`) from a raw query string. `Ok(None)` if there are none.
pub fn parse_presigned(query: &str) -> Result<Option<Credentials>, AuthError> {
    let (mut alg, mut cred, mut signed, mut sig, mut date) = (None, None, None, None, None);
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "X-Amz-Algorithm" => alg = Some(v.into_owned()),
            "X-Amz-Credential" => cred = Some(v.into_owned()),
            "X-Amz-SignedHeaders" => signed = Some(v.into_owned()),
            "X-Amz-Signature" => sig = Some(v.into_owned()),
            "X-Amz-Date" => date = Some(v.into_owned()),
            _ => {}
        }
    }
    if alg.is_none() && cred.is_none() && sig.is_none() {
        return Ok(None);
    }
    let alg = alg.unwrap_or_default();
    if alg != ALGORITHM {
        return Err(incomplete(format!("Unsupported AWS 'algorithm': '{alg}'.")));
    }
    let mut missing = String::new();
    for (name, v) in [
        ("X-Amz-Credential", &cred),
        ("X-Amz-Signature", &sig),
        ("X-Amz-SignedHeaders", &signed),
        ("X-Amz-Date", &date),
    ] {
        if v.is_none() {
            missing.push_str(&format!(
                "AWS query-string parameters must include '{name}'. "
            ));
        }
    }
    let (Some(cred), Some(signed), Some(sig), Some(date)) = (cred, signed, sig, date) else {
        return Err(incomplete(format!(
            "{missing}Re-examine the query-string parameters."
        )));
    };
    Ok(Some(Credentials::new(
        parse_credential(&cred)?,
        &signed,
        sig,
        Some(date),
        true,
    )))
}

/// Takes SigV4 credentials from a request: the `Authorization` header, else presigned query
/// parameters.
pub fn parse_request(headers: &HeaderMap, query: Option<&str>) -> Result<Credentials, AuthError> {
    if let Some(auth) = headers.get(http::header::AUTHORIZATION) {
        let value = auth
            .to_str()
            .map_err(|_| incomplete("Authorization header is not valid ASCII."))?;
        let amz_date = headers
            .get("x-amz-date")
            .or_else(|| headers.get(http::header::DATE))
            .and_then(|v| v.to_str().ok());
        return parse_authorization(value, amz_date);
    }
    match query.map(parse_presigned).transpose()?.flatten() {
        Some(c) => Ok(c),
        None => Err(AuthError::Missing),
    }
}

/// RFC 3986 unreserved characters are left alone, everything else is percent-encoded.
const STRICT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
const PATH: &AsciiSet = &STRICT.remove(b'/');

/// The canonical request of SigV4 (non-S3 rules: the path is URI-encoded once more).
pub fn canonical_request(
    creds: &Credentials,
    method: &str,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body_sha256: &str,
) -> String {
    let path = if path.is_empty() { "/" } else { path };
    let canonical_path = utf8_percent_encode(path, PATH).to_string();

    let mut params: Vec<(String, String)> = Vec::new();
    if let Some(q) = query {
        for pair in q.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let k = percent_decode_str(&k.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned();
            if creds.presigned && k == "X-Amz-Signature" {
                continue;
            }
            let v = percent_decode_str(&v.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned();
            params.push((
                utf8_percent_encode(&k, STRICT).to_string(),
                utf8_percent_encode(&v, STRICT).to_string(),
            ));
        }
    }
    params.sort();
    let canonical_query = params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");

    let mut canonical_headers = String::new();
    for name in &creds.signed_headers {
        let values: Vec<String> = headers
            .get_all(name.as_str())
            .iter()
            .map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        canonical_headers.push_str(name);
        canonical_headers.push(':');
        canonical_headers.push_str(&values.join(","));
        canonical_headers.push('\n');
    }
    format!(
        "{method}\n{canonical_path}\n{canonical_query}\n{canonical_headers}\n{}\n{body_sha256}",
        creds.signed_headers.join(";")
    )
}

/// The string to sign for a canonical request.
pub fn string_to_sign(creds: &Credentials, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{}\n{}/{}/{}/aws4_request\n{}",
        creds.amz_date.as_deref().unwrap_or(""),
        creds.date,
        creds.region,
        creds.service,
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    )
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length; this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return Vec::new(),
    };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The hex signature of `string_to_sign` under `secret_key` for the credentials' scope.
pub fn signature(creds: &Credentials, secret_key: &str, string_to_sign: &str) -> String {
    let k_date = hmac(
        format!("AWS4{secret_key}").as_bytes(),
        creds.date.as_bytes(),
    );
    let k_region = hmac(&k_date, creds.region.as_bytes());
    let k_service = hmac(&k_region, creds.service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    hex::encode(hmac(&k_signing, string_to_sign.as_bytes()))
}

/// Verifies a request's signature. `body_sha256` is the hex SHA-256 of the body (or
/// `UNSIGNED-PAYLOAD` for presigned URLs, as the client signed it). On mismatch, AWS's
/// `SignatureDoesNotMatch`.
pub fn verify(
    creds: &Credentials,
    secret_key: &str,
    method: &str,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body_sha256: &str,
) -> Result<(), ServiceError> {
    let creq = canonical_request(creds, method, path, query, headers, body_sha256);
    let sts = string_to_sign(creds, &creq);
    let expected = signature(creds, secret_key, &sts);
    let a = expected.as_bytes();
    let b = creds.signature.as_bytes();
    let same = a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0;
    if same {
        Ok(())
    } else {
        Err(ServiceError::new(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        ))
    }
}

/// Hex SHA-256 of a body, for [`verify`].
pub fn sha256_hex(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    /// The worked example of the AWS General Reference ("Examples of the complete Signature
    /// Version 4 signing process"): IAM ListUsers, signed 2015-08-30T12:36:00Z.
    #[test]
    fn aws_documented_example_verifies() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        headers.insert("host", HeaderValue::from_static("iam.amazonaws.com"));
        headers.insert("x-amz-date", HeaderValue::from_static("20150830T123600Z"));
        let auth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
                    SignedHeaders=content-type;host;x-amz-date, \
                    Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
        headers.insert("authorization", HeaderValue::from_static(auth));
        let creds = parse_request(&headers, None).expect("parses");
        assert_eq!(creds.access_key_id, "AKIDEXAMPLE");
        assert_eq!(creds.region, "us-east-1");
        assert_eq!(creds.service, "iam");
        assert_eq!(creds.signed_headers, ["content-type", "host", "x-amz-date"]);
        let query = Some("Action=ListUsers&Version=2010-05-08");
        let creq = canonical_request(&creds, "GET", "/", query, &headers, &sha256_hex(b""));
        assert_eq!(
            creq,
            "GET\n/\nAction=ListUsers&Version=2010-05-08\ncontent-type:application/x-www-form-urlencoded; charset=utf-8\nhost:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex::encode(Sha256::digest(creq.as_bytes())),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        verify(
            &creds,
            secret,
            "GET",
            "/",
            query,
            &headers,
            &sha256_hex(b""),
        )
        .expect("signature matches");
        let wrong = verify(
            &creds,
            "other",
            "GET",
            "/",
            query,
            &headers,
            &sha256_hex(b""),
        );
        assert_eq!(
            wrong.map_err(|e| e.code),
            Err("SignatureDoesNotMatch".into())
        );
    }

    #[test]
    fn garbled_headers_are_incomplete_signature() {
        let e = parse_authorization(
            "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc",
            Some("20240101T000000Z"),
        )
        .unwrap_err()
        .to_service_error();
        assert_eq!(e.code, "IncompleteSignature");
        assert_eq!(
            e.message,
            "Authorization header requires 'Credential' parameter. Authorization=AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc"
        );
        let e = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1, SignedHeaders=host, Signature=abc",
            Some("20240101T000000Z"),
        )
        .unwrap_err()
        .to_service_error();
        assert_eq!(
            e.message,
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKID/20240101/us-east-1'"
        );
        assert_eq!(
            parse_request(&HeaderMap::new(), Some("Action=ListQueues")),
            Err(AuthError::Missing)
        );
        assert_eq!(
            AuthError::Missing.to_service_error().code,
            "MissingAuthenticationToken"
        );
    }

    #[test]
    fn presigned_and_account() {
        let q = "Action=ListQueues&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=123456789012%2F20240101%2Feu-west-1%2Fsqs%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=ff";
        let c = parse_request(&HeaderMap::new(), Some(q)).expect("presigned");
        assert!(c.presigned);
        assert_eq!(c.region, "eu-west-1");
        assert_eq!(c.service, "sqs");
        assert_eq!(c.account_id(DEFAULT_ACCOUNT_ID), "123456789012");
        assert_eq!(
            account_for_access_key("AKIAEXAMPLE", DEFAULT_ACCOUNT_ID),
            "000000000000"
        );
    }
}
