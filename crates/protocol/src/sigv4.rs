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
    /// `X-Amz-Expires` of a presigned URL (seconds, as given).
    pub expires: Option<String>,
    /// The session token sent with the signature: the `X-Amz-Security-Token` header, or the
    /// query parameter of a presigned URL.
    pub security_token: Option<String>,
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
            expires: None,
            security_token: None,
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
    let (mut expires, mut token) = (None, None);
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "X-Amz-Algorithm" => alg = Some(v.into_owned()),
            "X-Amz-Credential" => cred = Some(v.into_owned()),
            "X-Amz-SignedHeaders" => signed = Some(v.into_owned()),
            "X-Amz-Signature" => sig = Some(v.into_owned()),
            "X-Amz-Date" => date = Some(v.into_owned()),
            "X-Amz-Expires" => expires = Some(v.into_owned()),
            "X-Amz-Security-Token" => token = Some(v.into_owned()),
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
    let mut creds = Credentials::new(parse_credential(&cred)?, &signed, sig, Some(date), true);
    creds.expires = expires;
    creds.security_token = token;
    Ok(Some(creds))
}

/// `X-Amz-Date`. Header names are constants: a `&str` name is parsed and validated on every
/// lookup, and these run for every request.
pub const X_AMZ_DATE: http::HeaderName = http::HeaderName::from_static("x-amz-date");
/// `X-Amz-Security-Token`: a temporary credential's session token.
pub const X_AMZ_SECURITY_TOKEN: http::HeaderName =
    http::HeaderName::from_static("x-amz-security-token");
/// `X-Amz-Content-SHA256`: the payload hash the client signed.
pub const X_AMZ_CONTENT_SHA256: http::HeaderName =
    http::HeaderName::from_static("x-amz-content-sha256");

/// Takes SigV4 credentials from a request: the `Authorization` header, else presigned query
/// parameters.
pub fn parse_request(headers: &HeaderMap, query: Option<&str>) -> Result<Credentials, AuthError> {
    if let Some(auth) = headers.get(http::header::AUTHORIZATION) {
        let value = auth
            .to_str()
            .map_err(|_| incomplete("Authorization header is not valid ASCII."))?;
        let amz_date = headers
            .get(X_AMZ_DATE)
            .or_else(|| headers.get(http::header::DATE))
            .and_then(|v| v.to_str().ok());
        let mut creds = parse_authorization(value, amz_date)?;
        creds.security_token = headers
            .get(X_AMZ_SECURITY_TOKEN)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        return Ok(creds);
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

/// The canonical URI of a path as the SDKs of non-S3 services compute it: dot segments and
/// empty segments removed (RFC 3986 5.2.4, as `aws-sigv4`'s `normalize_uri_path` and
/// botocore's `_normalize_url_path` do), then URI-encoded once more than it is on the wire
/// ("double encoding": a `%2F` in the request line is `%252F` in the canonical request).
pub fn canonical_uri(path: &str) -> String {
    let path = if path.is_empty() { "/" } else { path };
    if !(path.contains('.') || path.contains("//")) && path.starts_with('/') {
        return utf8_percent_encode(path, PATH).to_string();
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut normalized = String::with_capacity(path.len() + 1);
    for s in &segments {
        normalized.push('/');
        normalized.push_str(s);
    }
    let trailing = ["/", "/.", "/./", "/..", "/../"]
        .iter()
        .any(|t| path.ends_with(t));
    if normalized.is_empty() || (trailing && !normalized.ends_with('/')) {
        normalized.push('/');
    }
    utf8_percent_encode(&normalized, PATH).to_string()
}

/// The canonical query string: every parameter (but a presigned URL's `X-Amz-Signature`)
/// decoded from the wire, URI-encoded with RFC 3986's unreserved set, sorted by name then
/// value. A parameter without `=` has an empty value.
pub fn canonical_query(query: Option<&str>, presigned: bool) -> String {
    let Some(q) = query else {
        return String::new();
    };
    let mut params: Vec<(String, String)> = Vec::new();
    for pair in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = percent_decode_str(&k.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned();
        if presigned && k == "X-Amz-Signature" {
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
    params.sort();
    let mut out = String::with_capacity(q.len() + 16);
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// The canonical request of SigV4 (non-S3 rules: the path is normalised and URI-encoded once
/// more, see [`canonical_uri`]). Header values are trimmed and inner runs of whitespace
/// collapsed to one space; a header sent several times is its values joined by `,` in the
/// order received; a signed header that is absent has an empty value.
pub fn canonical_request(
    creds: &Credentials,
    method: &str,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body_sha256: &str,
) -> String {
    let canonical_path = canonical_uri(path);
    let canonical_query = canonical_query(query, creds.presigned);
    let mut canonical_headers = String::with_capacity(64 * creds.signed_headers.len());
    for name in &creds.signed_headers {
        canonical_headers.push_str(name);
        canonical_headers.push(':');
        for (i, v) in headers.get_all(name.as_str()).iter().enumerate() {
            if i > 0 {
                canonical_headers.push(',');
            }
            let v = String::from_utf8_lossy(v.as_bytes());
            for (j, word) in v.split_whitespace().enumerate() {
                if j > 0 {
                    canonical_headers.push(' ');
                }
                canonical_headers.push_str(word);
            }
        }
        canonical_headers.push('\n');
    }
    // One buffer: this runs for every verified request.
    let mut out = String::with_capacity(
        method.len()
            + canonical_path.len()
            + canonical_query.len()
            + canonical_headers.len()
            + 16 * creds.signed_headers.len()
            + body_sha256.len()
            + 8,
    );
    for part in [
        method,
        "\n",
        &canonical_path,
        "\n",
        &canonical_query,
        "\n",
        &canonical_headers,
        "\n",
    ] {
        out.push_str(part);
    }
    for (i, name) in creds.signed_headers.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(name);
    }
    out.push('\n');
    out.push_str(body_sha256);
    out
}

/// Lower-case hex, in one allocation of the exact size (`hex::encode` collects chars).
fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

/// The string to sign for a canonical request.
pub fn string_to_sign(creds: &Credentials, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{}\n{}/{}/{}/aws4_request\n{}",
        creds.amz_date.as_deref().unwrap_or(""),
        creds.date,
        creds.region,
        creds.service,
        hex_lower(&Sha256::digest(canonical_request.as_bytes()))
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

/// The signing key of a scope: `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region),
/// service), "aws4_request")`. It depends only on the secret and the scope, so a verifier
/// can cache it (four HMACs saved per request).
pub fn signing_key(secret_key: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = hmac(format!("AWS4{secret_key}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// The hex signature of `string_to_sign` under a [`signing_key`].
pub fn signature_with_key(key: &[u8], string_to_sign: &str) -> String {
    hex_lower(&hmac(key, string_to_sign.as_bytes()))
}

/// The hex signature of `string_to_sign` under `secret_key` for the credentials' scope.
pub fn signature(creds: &Credentials, secret_key: &str, string_to_sign: &str) -> String {
    let key = signing_key(secret_key, &creds.date, &creds.region, &creds.service);
    signature_with_key(&key, string_to_sign)
}

/// Compares two signatures in constant time (for their length).
pub fn same_signature(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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
    if same_signature(&expected, &creds.signature) {
        Ok(())
    } else {
        Err(ServiceError::new(
            "SignatureDoesNotMatch",
            SIGNATURE_DOES_NOT_MATCH,
        ))
    }
}

/// AWS's message for a signature that does not match.
pub const SIGNATURE_DOES_NOT_MATCH: &str =
    "The request signature we calculated does not match the signature you provided. \
     Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// The `x-amz-content-sha256` of a body signed chunk by chunk (`Content-Encoding: aws-chunked`).
pub const STREAMING_PAYLOAD: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";

/// Hex SHA-256 of nothing.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Decodes an `aws-chunked` body (`<hex size>;chunk-signature=<sig>\r\n<data>\r\n` ..., ending
/// with a zero-size chunk), verifying each chunk's signature: the chain starts at the seed
/// signature of the request (its `Authorization` header, computed with
/// [`STREAMING_PAYLOAD`] as payload hash) and each chunk signs
/// `AWS4-HMAC-SHA256-PAYLOAD\n<date>\n<scope>\n<previous signature>\n<sha256 of "">\n<sha256 of data>`.
/// `key` is the request's [`signing_key`]. A chunk whose signature does not follow the chain,
/// or a body that is not aws-chunked, is `SignatureDoesNotMatch` / `IncompleteSignature`.
pub fn decode_aws_chunked(
    body: &[u8],
    key: &[u8],
    creds: &Credentials,
) -> Result<Vec<u8>, ServiceError> {
    decode_chunks(body, Some((key, creds)))
}

/// Removes the `aws-chunked` framing without checking the chunk signatures (the secret of the
/// key is unknown, so the request is not verified at all).
pub fn decode_aws_chunked_unverified(body: &[u8]) -> Result<Vec<u8>, ServiceError> {
    decode_chunks(body, None)
}

fn decode_chunks(
    body: &[u8],
    verify: Option<(&[u8], &Credentials)>,
) -> Result<Vec<u8>, ServiceError> {
    let garbled = || ServiceError::new("IncompleteSignature", "The chunked payload is malformed.");
    let scope = verify.map(|(_, creds)| {
        format!(
            "{}/{}/{}/aws4_request",
            creds.date, creds.region, creds.service
        )
    });
    let amz_date = verify
        .and_then(|(_, c)| c.amz_date.as_deref())
        .unwrap_or("");
    let mut previous = verify.map(|(_, c)| c.signature.clone()).unwrap_or_default();
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(garbled)?;
        let line = std::str::from_utf8(&rest[..line_end]).map_err(|_| garbled())?;
        rest = &rest[line_end + 2..];
        let (size, ext) = line.split_once(';').ok_or_else(garbled)?;
        let size = usize::from_str_radix(size.trim(), 16).map_err(|_| garbled())?;
        let sig = ext
            .trim()
            .strip_prefix("chunk-signature=")
            .ok_or_else(garbled)?;
        if rest.len() < size + 2 || &rest[size..size + 2] != b"\r\n" {
            return Err(garbled());
        }
        let data = &rest[..size];
        rest = &rest[size + 2..];
        if let (Some((key, _)), Some(scope)) = (verify, &scope) {
            let to_sign = format!(
                "AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n{previous}\n{EMPTY_SHA256}\n{}",
                sha256_hex(data)
            );
            let expected = signature_with_key(key, &to_sign);
            if !same_signature(&expected, sig) {
                return Err(ServiceError::new(
                    "SignatureDoesNotMatch",
                    SIGNATURE_DOES_NOT_MATCH,
                ));
            }
            previous = expected;
        }
        if size == 0 {
            return Ok(out);
        }
        out.extend_from_slice(data);
    }
}

/// Hex SHA-256 of a body, for [`verify`].
pub fn sha256_hex(body: &[u8]) -> String {
    hex_lower(&Sha256::digest(body))
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

    /// The worked example of AWS's "Signature Calculations for the Authorization Header:
    /// Transferring Payload in Multiple Chunks" (S3 docs): a 66,560-byte object in chunks of
    /// 64 KiB, 1 KiB and 0 bytes, seed signature `4f232c43...`.
    #[test]
    fn aws_chunked_example_verifies_chunk_by_chunk() {
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        let mut headers = HeaderMap::new();
        for (k, v) in [
            ("host", "s3.amazonaws.com"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("x-amz-content-sha256", STREAMING_PAYLOAD),
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "66560"),
            ("content-length", "66824"),
            ("authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"),
        ] {
            headers.insert(k, HeaderValue::from_static(v));
        }
        let creds = parse_request(&headers, None).expect("parses");
        verify(
            &creds,
            secret,
            "PUT",
            "/examplebucket/chunkObject.txt",
            None,
            &headers,
            STREAMING_PAYLOAD,
        )
        .expect("seed signature");
        let chunks = [
            (
                65536,
                "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
            ),
            (
                1024,
                "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
            ),
            (
                0,
                "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
            ),
        ];
        let mut body = Vec::new();
        for (size, sig) in chunks {
            body.extend_from_slice(format!("{size:x};chunk-signature={sig}\r\n").as_bytes());
            body.extend(std::iter::repeat_n(b'a', size));
            body.extend_from_slice(b"\r\n");
        }
        assert_eq!(body.len(), 66824);
        let key = signing_key(secret, "20130524", "us-east-1", "s3");
        let decoded = decode_aws_chunked(&body, &key, &creds).expect("every chunk verifies");
        assert_eq!(decoded, vec![b'a'; 66560]);

        // One byte of the second chunk changed: its signature no longer follows the chain.
        let mut tampered = body.clone();
        let at = body.len() - 200;
        tampered[at] = b'b';
        assert_eq!(
            decode_aws_chunked(&tampered, &key, &creds).map_err(|e| e.code),
            Err("SignatureDoesNotMatch".into())
        );
        // A chunk dropped: the final chunk's signature was chained on the missing one.
        let first_len = body.len() - 1024 - 2 - 85 - 2 - 86;
        let mut dropped = body[..first_len].to_vec();
        dropped.extend_from_slice(&body[body.len() - 86..]);
        assert!(decode_aws_chunked(&dropped, &key, &creds).is_err());
        assert_eq!(
            decode_aws_chunked(b"zz;chunk-signature=00\r\n", &key, &creds).map_err(|e| e.code),
            Err("IncompleteSignature".into())
        );
    }
}
