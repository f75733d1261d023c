//! The integration parts of the state document: EventBridge connections and API
//! destinations, SNS platform applications (with their endpoints) and SMS attributes
//! (docs/persistence.md, "Snapshots to share").
//!
//! Export reads them from the engines, because their secrets (a connection's password, API
//! key value, OAuth client secret and secret parameter values; an application's
//! `PlatformCredential`/`PlatformPrincipal`) are never answered by the operations. The point
//! of the document is reproducible fixtures that belong to the user, so secrets are written
//! unless the export is asked to redact them ([`redact_secrets`]: each becomes `null`).
//!
//! Import creates them through the services' own operations (`CreateConnection`,
//! `CreateApiDestination`, `CreatePlatformApplication`, `CreatePlatformEndpoint`,
//! `SetSMSAttributes`), before topics and rules, since subscriptions and targets name them.
//! Their ARNs hold a random id, so the ARNs a document names (a rule target's API
//! destination, an API destination's connection, an `application` subscription's endpoint)
//! are those of the exporting emulator: import maps each exported ARN to the ARN of what it
//! created (or found) and rewrites the rest of the document with that map
//! ([`apply`]). A document with a `null` secret is refused before anything is created, with
//! every such resource and field named ([`missing_secrets`]).

use std::collections::BTreeMap;

use ferrybridge_engine::events::connection::{Auth, HttpParameters, Parameter};
use ferrybridge_events::Events;
use ferrybridge_protocol::{RequestContext, ServiceError};
use ferrybridge_sns::Sns;
use serde_json::{json, Map, Value};

/// The context the document's operations run in: the account's root in `account`/`region`.
pub(crate) fn ctx(account: &str, region: &str) -> RequestContext {
    RequestContext {
        account_id: account.to_owned(),
        region: region.to_owned(),
        host: "localhost".into(),
        request_id: "state-document".into(),
        caller_arn: format!("arn:aws:iam::{account}:root"),
        trace_header: None,
    }
}

/// An operation's error, prefixed with what the document asked for.
pub(crate) fn failed(what: &str, e: ServiceError) -> String {
    format!("{what}: {} {}", e.code, e.message)
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn keep(loc: (&str, &str), account: Option<&str>, region: Option<&str>) -> bool {
    account.is_none_or(|a| a == loc.0) && region.is_none_or(|r| r == loc.1)
}

fn loc(v: &Value, what: &str) -> Result<(String, String), String> {
    match (text(v, "accountId"), text(v, "region")) {
        (Some(a), Some(r)) => Ok((a, r)),
        _ => Err(format!("{what}: accountId and region are required")),
    }
}

/// The entries of `doc[part][key]` (none when absent).
fn entries(doc: &Value, part: &str, key: &str) -> Result<Vec<Value>, String> {
    match doc.get(part).and_then(|p| p.get(key)) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => Ok(a.clone()),
        Some(_) => Err(format!("{part}.{key} must be a list")),
    }
}

/// One list of connection parameters as `CreateConnection` takes it (`IsValueSecret` values
/// included).
fn parameter_list(items: &Option<Vec<Parameter>>) -> Option<Value> {
    items.as_ref().map(|items| {
        items
            .iter()
            .map(|p| json!({"Key": p.key, "Value": p.value, "IsValueSecret": p.is_value_secret}))
            .collect()
    })
}

/// `ConnectionHttpParameters` as `CreateConnection` takes them.
fn http_parameters(p: &HttpParameters) -> Value {
    let mut out = Map::new();
    for (key, list) in [
        ("HeaderParameters", &p.header),
        ("QueryStringParameters", &p.query),
        ("BodyParameters", &p.body),
    ] {
        if let Some(v) = parameter_list(list) {
            out.insert(key.into(), v);
        }
    }
    Value::Object(out)
}

/// A secret as exported: `null` when the connection holds none (a connection deauthorized
/// with `DeauthorizeConnection` lost its secrets), so that importing asks for it.
fn secret(value: &str) -> Value {
    if value.is_empty() {
        Value::Null
    } else {
        Value::String(value.to_owned())
    }
}

/// `CreateConnection`'s `AuthParameters` of a connection, secrets included.
fn auth_parameters(auth: &Auth, invocation: Option<&HttpParameters>) -> Value {
    let mut out = match auth {
        Auth::Basic { username, password } => json!({"BasicAuthParameters": {
            "Username": username, "Password": secret(password)}}),
        Auth::ApiKey { name, value } => json!({"ApiKeyAuthParameters": {
            "ApiKeyName": name, "ApiKeyValue": secret(value)}}),
        Auth::OAuth(o) => {
            let mut oauth = json!({
                "ClientParameters": {"ClientID": o.client_id, "ClientSecret": secret(&o.client_secret)},
                "AuthorizationEndpoint": o.authorization_endpoint,
                "HttpMethod": o.http_method,
            });
            if let Some(p) = &o.http_parameters {
                oauth["OAuthHttpParameters"] = http_parameters(p);
            }
            json!({ "OAuthParameters": oauth })
        }
    };
    if let Some(p) = invocation {
        out["InvocationHttpParameters"] = http_parameters(p);
    }
    out
}

/// `{"connections": [...], "apiDestinations": [...]}` of the matching accounts and regions.
pub(crate) fn export_events(
    events: &Events,
    account: Option<&str>,
    region: Option<&str>,
) -> Result<Value, String> {
    let engine = events.engine();
    let mut connections = Vec::new();
    let mut destinations = Vec::new();
    for (a, r) in engine.locations() {
        if !keep((&a, &r), account, region) {
            continue;
        }
        let mut token: Option<String> = None;
        loop {
            let page = engine
                .list_connections(&a, &r, None, None, token.as_deref(), None)
                .map_err(|e| format!("connections of {a} {r}: {e:?}"))?;
            for c in &page.items {
                let config = c.config();
                let mut entry = json!({
                    "accountId": a, "region": r, "name": c.name, "arn": c.arn,
                    "authorizationType": config.auth.authorization_type().as_str(),
                    "authParameters": auth_parameters(&config.auth, config.invocation_parameters.as_ref()),
                });
                if let Some(d) = &config.description {
                    entry["description"] = json!(d);
                }
                if let Some(k) = &config.kms_key_identifier {
                    entry["kmsKeyIdentifier"] = json!(k);
                }
                connections.push(entry);
            }
            token = page.next_token;
            if token.is_none() {
                break;
            }
        }
        let c = ctx(&a, &r);
        let mut input = json!({});
        loop {
            let page = events
                .handle(&c, "ListApiDestinations", input.clone())
                .map_err(|e| failed("ListApiDestinations", e))?;
            for d in page
                .get("ApiDestinations")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(name) = text(d, "Name") else {
                    continue;
                };
                let d = events
                    .handle(&c, "DescribeApiDestination", json!({"Name": name}))
                    .map_err(|e| failed(&format!("API destination {name}"), e))?;
                let mut entry = json!({
                    "accountId": a, "region": r, "name": name,
                    "arn": d.get("ApiDestinationArn"),
                    "connectionArn": d.get("ConnectionArn"),
                    "invocationEndpoint": d.get("InvocationEndpoint"),
                    "httpMethod": d.get("HttpMethod"),
                    "invocationRateLimitPerSecond": d.get("InvocationRateLimitPerSecond"),
                });
                if let Some(v) = d.get("Description") {
                    entry["description"] = v.clone();
                }
                destinations.push(entry);
            }
            match text(&page, "NextToken") {
                Some(t) => input["NextToken"] = Value::String(t),
                None => break,
            }
        }
    }
    Ok(json!({"connections": connections, "apiDestinations": destinations}))
}

/// `SetSMSAttributes` defaults `GetSMSAttributes` shows though nobody set them.
fn is_default_sms(key: &str, value: &str) -> bool {
    key == "MonthlySpendLimit" && value == "1"
}

/// `{"platformApplications": [...], "smsAttributes": [...]}` of the matching accounts and
/// regions.
pub(crate) fn export_sns(
    sns: &Sns,
    account: Option<&str>,
    region: Option<&str>,
) -> Result<Value, String> {
    let engine = sns.engine();
    let mut applications = Vec::new();
    let mut sms = Vec::new();
    for (a, r) in engine.locations() {
        if !keep((&a, &r), account, region) {
            continue;
        }
        let mut token: Option<String> = None;
        loop {
            let page = engine
                .list_platform_applications(&a, &r, token.as_deref())
                .map_err(|e| format!("platform applications of {a} {r}: {e:?}"))?;
            for app in &page.items {
                let mut endpoints = Vec::new();
                let mut etoken: Option<String> = None;
                loop {
                    let got = engine
                        .list_endpoints(&app.arn, etoken.as_deref())
                        .map_err(|e| format!("endpoints of {}: {e:?}", app.arn))?;
                    for e in &got.items {
                        endpoints.push(json!({"arn": e.arn, "attributes": e.attributes}));
                    }
                    etoken = got.next_token;
                    if etoken.is_none() {
                        break;
                    }
                }
                applications.push(json!({
                    "accountId": a, "region": r, "name": app.name, "platform": app.platform,
                    "arn": app.arn, "attributes": app.attributes,
                    "credentials": app.credentials, "endpoints": endpoints,
                }));
            }
            token = page.next_token;
            if token.is_none() {
                break;
            }
        }
        let attributes: BTreeMap<String, String> = engine
            .sms_attributes(&a, &r, &[])
            .into_iter()
            .filter(|(k, v)| !is_default_sms(k, v))
            .collect();
        if !attributes.is_empty() {
            sms.push(json!({"accountId": a, "region": r, "attributes": attributes}));
        }
    }
    Ok(json!({"platformApplications": applications, "smsAttributes": sms}))
}

/// The places of a connection's `authParameters` that hold secrets: (path, value) pairs.
fn connection_secrets(auth: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut at = |path: String, v: Option<&Value>| {
        if let Some(v) = v {
            out.push((path, v.clone()));
        }
    };
    at(
        "authParameters.BasicAuthParameters.Password".into(),
        auth.pointer("/BasicAuthParameters/Password"),
    );
    at(
        "authParameters.ApiKeyAuthParameters.ApiKeyValue".into(),
        auth.pointer("/ApiKeyAuthParameters/ApiKeyValue"),
    );
    at(
        "authParameters.OAuthParameters.ClientParameters.ClientSecret".into(),
        auth.pointer("/OAuthParameters/ClientParameters/ClientSecret"),
    );
    for (base, params) in [
        (
            "authParameters.InvocationHttpParameters",
            auth.get("InvocationHttpParameters"),
        ),
        (
            "authParameters.OAuthParameters.OAuthHttpParameters",
            auth.pointer("/OAuthParameters/OAuthHttpParameters"),
        ),
    ] {
        for list in [
            "HeaderParameters",
            "QueryStringParameters",
            "BodyParameters",
        ] {
            let items = params.and_then(|p| p.get(list)).and_then(Value::as_array);
            for (i, p) in items.into_iter().flatten().enumerate() {
                if p.get("IsValueSecret").and_then(Value::as_bool) == Some(true) {
                    at(format!("{base}.{list}[{i}].Value"), p.get("Value"));
                }
            }
        }
    }
    out
}

/// The credential attributes of a platform application.
const APPLICATION_SECRETS: &[&str] = &["PlatformCredential", "PlatformPrincipal"];

/// Writes every secret of `doc` as `null` (`ferrybridge state export --redact-secrets`).
pub fn redact_secrets(doc: &mut Value) {
    if let Some(list) = doc
        .pointer_mut("/events/connections")
        .and_then(Value::as_array_mut)
    {
        for c in list {
            let Some(auth) = c.get_mut("authParameters") else {
                continue;
            };
            for (path, _) in connection_secrets(auth) {
                // `path` is dotted with `[i]` indexes; turn it into a JSON pointer.
                let pointer = path
                    .trim_start_matches("authParameters")
                    .replace(['.', '['], "/")
                    .replace(']', "");
                if let Some(v) = auth.pointer_mut(&pointer) {
                    *v = Value::Null;
                }
            }
        }
    }
    if let Some(list) = doc
        .pointer_mut("/sns/platformApplications")
        .and_then(Value::as_array_mut)
    {
        for app in list {
            if let Some(creds) = app.get_mut("credentials").and_then(Value::as_object_mut) {
                for (k, v) in creds.iter_mut() {
                    if APPLICATION_SECRETS.contains(&k.as_str()) {
                        *v = Value::Null;
                    }
                }
            }
        }
    }
}

/// Every secret of `doc` that is `null` (redacted at export, or deauthorized), named by its
/// resource and field; empty when none is.
pub(crate) fn missing_secrets(doc: &Value) -> Result<Vec<String>, String> {
    let mut missing = Vec::new();
    for c in entries(doc, "events", "connections")? {
        let (a, r) = loc(&c, "connection")?;
        let name = text(&c, "name").unwrap_or_default();
        for (path, v) in connection_secrets(c.get("authParameters").unwrap_or(&Value::Null)) {
            if v.is_null() {
                missing.push(format!("connection {name} ({a}, {r}): {path}"));
            }
        }
    }
    for app in entries(doc, "sns", "platformApplications")? {
        let (a, r) = loc(&app, "platform application")?;
        let name = text(&app, "name").unwrap_or_default();
        for (k, v) in app
            .get("credentials")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if v.is_null() {
                missing.push(format!(
                    "platform application {name} ({a}, {r}): credentials.{k}"
                ));
            }
        }
    }
    Ok(missing)
}

/// What an import of the integration parts did.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Applied {
    pub connections: usize,
    pub api_destinations: usize,
    pub platform_applications: usize,
    pub platform_endpoints: usize,
    pub sms_attributes: usize,
}

/// Notes that the resource exported as `old` is `new` here.
fn remember(old: Option<String>, new: &str, arns: &mut BTreeMap<String, String>) {
    if let Some(old) = old.filter(|o| !o.is_empty() && o != new) {
        arns.insert(old, new.to_owned());
    }
}

/// Replaces, in every string of `v` (messages excepted: they are data, not references),
/// each exported ARN by the ARN import gave that resource.
fn rewrite(v: &mut Value, arns: &BTreeMap<String, String>) {
    match v {
        Value::String(s) => {
            for (old, new) in arns {
                if s.contains(old.as_str()) {
                    *s = s.replace(old.as_str(), new);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| rewrite(i, arns)),
        Value::Object(m) => {
            for (k, item) in m.iter_mut() {
                if k != "messages" {
                    rewrite(item, arns);
                }
            }
        }
        _ => {}
    }
}

/// Creates the document's integration resources in `sns` and `events` (with
/// `skip_existing`, one that exists by name is kept and the document's entry only maps its
/// ARN), then answers the document with every exported ARN of them replaced by the ARN it
/// has here. Refuses a document with `null` secrets before creating anything.
pub(crate) async fn apply(
    sns: &Sns,
    events: &Events,
    doc: &Value,
    skip_existing: bool,
) -> Result<(Applied, Value), String> {
    let missing = missing_secrets(doc)?;
    if !missing.is_empty() {
        return Err(format!(
            "secrets are missing (null; an export with --redact-secrets leaves them out, fill them in): {}",
            missing.join("; ")
        ));
    }
    let mut done = Applied::default();
    let mut arns: BTreeMap<String, String> = BTreeMap::new();

    for c in entries(doc, "events", "connections")? {
        let (a, r) = loc(&c, "connection")?;
        let name = text(&c, "name").ok_or("connection: name is required")?;
        let what = format!("connection {name} ({a}, {r})");
        let existing = events.engine().connection(&a, &r, &name).ok();
        let arn = match existing {
            Some(found) if skip_existing => found.arn.clone(),
            _ => {
                let mut input = json!({"Name": name,
                    "AuthorizationType": c.get("authorizationType"),
                    "AuthParameters": c.get("authParameters")});
                copy_present(
                    &c,
                    &mut input,
                    &[
                        ("description", "Description"),
                        ("kmsKeyIdentifier", "KmsKeyIdentifier"),
                    ],
                );
                let out = events
                    .handle(&ctx(&a, &r), "CreateConnection", input)
                    .map_err(|e| failed(&what, e))?;
                done.connections += 1;
                text(&out, "ConnectionArn").unwrap_or_default()
            }
        };
        remember(text(&c, "arn"), &arn, &mut arns);
    }

    for d in entries(doc, "events", "apiDestinations")? {
        let (a, r) = loc(&d, "API destination")?;
        let name = text(&d, "name").ok_or("API destination: name is required")?;
        let what = format!("API destination {name} ({a}, {r})");
        let existing = events.engine().api_destination(&a, &r, &name).ok();
        let arn = match existing {
            Some(found) if skip_existing => found.arn.clone(),
            _ => {
                let mut connection = d.get("connectionArn").cloned().unwrap_or(Value::Null);
                rewrite(&mut connection, &arns);
                let mut input = json!({"Name": name, "ConnectionArn": connection,
                    "InvocationEndpoint": d.get("invocationEndpoint"),
                    "HttpMethod": d.get("httpMethod")});
                copy_present(
                    &d,
                    &mut input,
                    &[
                        ("description", "Description"),
                        (
                            "invocationRateLimitPerSecond",
                            "InvocationRateLimitPerSecond",
                        ),
                    ],
                );
                let out = events
                    .handle(&ctx(&a, &r), "CreateApiDestination", input)
                    .map_err(|e| failed(&what, e))?;
                done.api_destinations += 1;
                text(&out, "ApiDestinationArn").unwrap_or_default()
            }
        };
        remember(text(&d, "arn"), &arn, &mut arns);
    }

    for app in entries(doc, "sns", "platformApplications")? {
        let (a, r) = loc(&app, "platform application")?;
        let name = text(&app, "name").ok_or("platform application: name is required")?;
        let platform = text(&app, "platform")
            .ok_or(format!("platform application {name}: platform is required"))?;
        let what = format!("platform application {name} ({a}, {r})");
        let c = ctx(&a, &r);
        let arn = format!("arn:aws:sns:{r}:{a}:app/{platform}/{name}");
        if !(skip_existing && sns.engine().platform_application(&arn).is_ok()) {
            let mut attributes = Map::new();
            for part in ["attributes", "credentials"] {
                if let Some(m) = app.get(part).and_then(Value::as_object) {
                    attributes.extend(m.clone());
                }
            }
            sns.handle(
                &c,
                "CreatePlatformApplication",
                json!({"Name": name, "Platform": platform, "Attributes": attributes}),
                true,
            )
            .await
            .map_err(|e| failed(&what, e))?;
            // The application's ARN is made of its names (nothing to map, unlike its
            // endpoints'); the account and region were rewritten before, by `rehome`.
            done.platform_applications += 1;
        }
        for e in app
            .get("endpoints")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let mut attributes = e
                .get("attributes")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            let token = attributes
                .remove("Token")
                .and_then(|t| t.as_str().map(str::to_owned))
                .ok_or(format!(
                    "{what}: an endpoint's attributes.Token is required"
                ))?;
            let existing = sns.engine().list_endpoints(&arn, None).ok().and_then(|p| {
                p.items
                    .into_iter()
                    .find(|x| x.attributes.get("Token") == Some(&token))
            });
            let new_arn = match existing {
                Some(found) if skip_existing => found.arn,
                _ => {
                    let out = sns
                        .handle(
                            &c,
                            "CreatePlatformEndpoint",
                            json!({"PlatformApplicationArn": arn, "Token": token,
                                   "Attributes": attributes}),
                            true,
                        )
                        .await
                        .map_err(|e| failed(&format!("{what}: endpoint {token}"), e))?;
                    done.platform_endpoints += 1;
                    text(&out, "EndpointArn").unwrap_or_default()
                }
            };
            remember(text(e, "arn"), &new_arn, &mut arns);
        }
    }

    for s in entries(doc, "sns", "smsAttributes")? {
        let (a, r) = loc(&s, "SMS attributes")?;
        let set = sns
            .engine()
            .sms_attributes(&a, &r, &[])
            .into_iter()
            .any(|(k, v)| !is_default_sms(&k, &v));
        if skip_existing && set {
            continue;
        }
        sns.handle(
            &ctx(&a, &r),
            "SetSMSAttributes",
            json!({"attributes": s.get("attributes").cloned().unwrap_or(json!({}))}),
            true,
        )
        .await
        .map_err(|e| failed(&format!("SMS attributes ({a}, {r})"), e))?;
        done.sms_attributes += 1;
    }

    let mut rewritten = doc.clone();
    rewrite(&mut rewritten, &arns);
    Ok((done, rewritten))
}

/// Copies the members of the exported document `from` that are present and not null into an
/// operation's `input`, renamed (`(document name, operation member)`).
fn copy_present(from: &Value, input: &mut Value, names: &[(&str, &str)]) {
    for (from_name, to) in names {
        if let Some(v) = from.get(from_name).filter(|v| !v.is_null()) {
            input[*to] = v.clone();
        }
    }
}
