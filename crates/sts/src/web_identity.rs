//! What AssumeRoleWithWebIdentity reports from the token. Any token is accepted (no signature
//! or issuer is checked); when it is a JWT, its claims fill the answer as AWS's would.

use base64::Engine as _;
use serde_json::Value;

/// The claims AWS echoes back.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Claims {
    /// `sub` (SubjectFromWebIdentityToken).
    pub subject: Option<String>,
    /// `aud`, or its first element when a list.
    pub audience: Option<String>,
    /// `iss` (Provider, unless ProviderId was given).
    pub issuer: Option<String>,
}

/// The claims of a JWT (`header.payload.signature`, base64url); none for anything else.
pub(crate) fn claims(token: &str) -> Claims {
    let mut parts = token.split('.');
    let (Some(_), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Claims::default();
    };
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let Some(Value::Object(map)) = engine
        .decode(payload.trim_end_matches('='))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
    else {
        return Claims::default();
    };
    let text = |v: Option<&Value>| match v {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(a)) => a.first().and_then(Value::as_str).map(str::to_owned),
        _ => None,
    };
    Claims {
        subject: text(map.get("sub")),
        audience: text(map.get("aud")),
        issuer: text(map.get("iss")),
    }
}
