//! The admin API: `/_ferrybridge/` (health, reset, state), LocalStack's `/_localstack/`
//! (health, init) and moto's `POST /moto-api/reset`, so tools written for those emulators work
//! unchanged.
//!
//! * `GET /_ferrybridge/health`: answered without taking any engine lock.
//! * `POST /_ferrybridge/reset[?service=sqs|sns|events|sts&account=..&region=..]`: drops the
//!   state of the services, accounts and regions named (all by default), atomically with
//!   respect to background work (see `ferrybridge_engine::reset`).
//! * `GET /_ferrybridge/state[?account=..&region=..]`: a JSON summary per account and region.
//! * `GET|HEAD /_localstack/health`, `GET /_localstack/init[/<stage>]`: LocalStack's shapes.
//! * `POST /moto-api/reset`: moto's answer, `{"status": "ok"}`.
//! * `POST /_localstack/state/reset`, `POST /_localstack/state/<service>/reset`: LocalStack's
//!   state reset (all, or one service), `{}`.
//!
//! All but health, init status, moto's and LocalStack's resets need the admin token (see
//! `crate::browser_guard`).
//!
//! Unknown admin paths answer a JSON 404, known ones with the wrong method a JSON 405.

use bytes::Bytes;
use ferrybridge_engine::reset::{ResetScope, Service};
use http_body_util::Full;
use hyper::{Response, StatusCode};
use serde_json::{json, Map, Value};

use crate::admin_common::{json_response, localstack_service_reset, param, query_params};
use crate::app::{parse_services, App, EMULATED};

fn not_found(method: &str, path: &str) -> Response<Full<Bytes>> {
    json_response(
        StatusCode::NOT_FOUND,
        &json!({"error": "NotFound", "message": format!("no admin endpoint {method} {path}")}),
    )
}

fn method_not_allowed(method: &str, path: &str, allowed: &'static str) -> Response<Full<Bytes>> {
    let mut response = json_response(
        StatusCode::METHOD_NOT_ALLOWED,
        &json!({
            "error": "MethodNotAllowed",
            "message": format!("{path} does not answer {method}; it answers {allowed}"),
        }),
    );
    response
        .headers_mut()
        .insert(http::header::ALLOW, http::HeaderValue::from_static(allowed));
    response
}

pub(crate) fn handle(
    app: &App,
    method: &str,
    path: &str,
    query: Option<&str>,
) -> Response<Full<Bytes>> {
    let allowed = match path {
        "/_ferrybridge/health" | "/_localstack/health" => "GET, HEAD",
        "/_ferrybridge/state" => "GET",
        "/_ferrybridge/reset" | "/moto-api/reset" | "/_localstack/state/reset" => "POST",
        p if localstack_service_reset(p).is_some() => "POST",
        "/_localstack/init" => "GET",
        p if p.starts_with("/_localstack/init/") => "GET",
        _ => return not_found(method, path),
    };
    let allowed_here = allowed.split(", ").any(|m| m == method);
    if !allowed_here {
        if path == "/moto-api/reset" {
            // source: moto's moto_api responses (reset_response).
            return json_response(
                StatusCode::BAD_REQUEST,
                &json!({"Error": "Need to POST to reset Moto"}),
            );
        }
        return method_not_allowed(method, path, allowed);
    }
    match path {
        "/_ferrybridge/health" => health(app),
        "/_localstack/health" if method == "HEAD" => {
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::OK;
            response
        }
        "/_localstack/health" => localstack_health(app),
        "/_ferrybridge/reset" => {
            let params = query_params(query);
            let service = match param(&params, "service") {
                None | Some("") | Some("all") => None,
                Some(name) => match Service::parse(name) {
                    Some(s) => Some(s),
                    None => {
                        return json_response(
                            StatusCode::BAD_REQUEST,
                            &json!({
                                "error": "InvalidParameter",
                                "message": format!("unknown service {name:?}: sqs, sns, events or sts"),
                            }),
                        )
                    }
                },
            };
            let scope = ResetScope {
                service,
                account: param(&params, "account")
                    .or(param(&params, "accountId"))
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
                region: param(&params, "region")
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            };
            json_response(StatusCode::OK, &reset(app, &scope))
        }
        "/moto-api/reset" => {
            reset(app, &ResetScope::all());
            json_response(StatusCode::OK, &json!({"status": "ok"}))
        }
        "/_localstack/state/reset" => {
            reset(app, &ResetScope::all());
            json_response(StatusCode::OK, &json!({}))
        }
        p if localstack_service_reset(p).is_some() => {
            let name = localstack_service_reset(p).unwrap_or_default();
            let Some(service) = Service::parse(&parse_services(name).concat()) else {
                return json_response(
                    StatusCode::NOT_FOUND,
                    &json!({"error": "NotFound", "message": format!("no service {name:?} here: sqs, sns, events or sts")}),
                );
            };
            reset(
                app,
                &ResetScope {
                    service: Some(service),
                    account: None,
                    region: None,
                },
            );
            json_response(StatusCode::OK, &json!({}))
        }
        "/_ferrybridge/state" => {
            let params = query_params(query);
            json_response(
                StatusCode::OK,
                &state(app, param(&params, "account"), param(&params, "region")),
            )
        }
        "/_localstack/init" => json_response(StatusCode::OK, &app.init.localstack_json(None)),
        _ => {
            let stage = path.trim_start_matches("/_localstack/init/");
            match crate::init_hooks::Stage::parse(stage) {
                Some(stage) => {
                    json_response(StatusCode::OK, &app.init.localstack_json(Some(stage)))
                }
                None => json_response(
                    StatusCode::NOT_FOUND,
                    &json!({"error": "NotFound", "message": format!("no such stage {stage}")}),
                ),
            }
        }
    }
}

/// `/_ferrybridge/health`: reads no engine state (a deadlocked engine must not hide it).
fn health(app: &App) -> Response<Full<Bytes>> {
    let services: Map<String, Value> = EMULATED
        .iter()
        .map(|s| ((*s).to_owned(), json!(service_state(app, s))))
        .collect();
    json_response(
        StatusCode::OK,
        &json!({
            "status": "running",
            "version": env!("CARGO_PKG_VERSION"),
            "services": services,
            "uptime_seconds": app.started.elapsed().as_secs_f64(),
            // Deliveries dropped because a bounded delivery queue was full (README: Deterministic
            // local deliveries): SNS messages and EventBridge target invocations.
            "deliveriesShed": {
                "sns": app.sns.shed_deliveries(),
                "events": app.events.shed_invocations(),
            },
        }),
    )
}

fn service_state(app: &App, service: &str) -> &'static str {
    match &app.enabled {
        Some(list) if !list.iter().any(|s| s == service) => "disabled",
        _ => "running",
    }
}

/// LocalStack's `GET /_localstack/health`: `{"services": {name: state}, "edition", "version"}`
/// (plus `features.initScripts` as LocalStack reports it while init hooks run).
fn localstack_health(app: &App) -> Response<Full<Bytes>> {
    let services: Map<String, Value> = EMULATED
        .iter()
        .map(|s| ((*s).to_owned(), json!(service_state(app, s))))
        .collect();
    let init = if app.init.ready_completed() {
        "initialized"
    } else {
        "initializing"
    };
    json_response(
        StatusCode::OK,
        &json!({
            "services": services,
            "features": {"initScripts": init},
            "edition": "community",
            "version": env!("CARGO_PKG_VERSION"),
        }),
    )
}

/// Drops the state `scope` covers, then records the reset (before answering) so that work
/// queued before it discards itself (see `ferrybridge_engine::reset`).
pub(crate) fn reset(app: &App, scope: &ResetScope) -> Value {
    let (account, region) = (scope.account.as_deref(), scope.region.as_deref());
    let mut services = Vec::new();
    let mut counts = Map::new();
    for service in Service::ALL {
        if !scope.covers_service(service) {
            continue;
        }
        services.push(service.as_str());
        match service {
            Service::Sqs => {
                let n = app.sqs_engine.reset(account, region);
                counts.insert("queues".into(), json!(n));
            }
            Service::Sns => {
                let n = app.sns.engine().reset(account, region);
                counts.insert("topics".into(), json!(n));
            }
            Service::Events => {
                app.events.engine().reset(account, region);
            }
            Service::Sts => {
                // The credentials AssumeRole and the other STS calls handed out (of the
                // accounts in scope). STS is a global service: a reset of one region keeps
                // them.
                if region.is_none() {
                    let before = app.sts.engine().len();
                    app.sts.engine().reset(account);
                    let dropped = before.saturating_sub(app.sts.engine().len());
                    counts.insert("credentials".into(), json!(dropped));
                }
            }
        }
    }
    app.resets.record(scope.clone());
    json!({
        "reset": {
            "services": services,
            "accountId": account,
            "region": region,
        },
        "deleted": counts,
    })
}

/// `/_ferrybridge/state`: every account and region with state, optionally narrowed.
fn state(app: &App, account: Option<&str>, region: Option<&str>) -> Value {
    let mut locations: Vec<(String, String)> = app.sqs_engine.locations();
    locations.extend(app.sns.engine().locations());
    locations.extend(app.events.engine().locations());
    locations.sort();
    locations.dedup();
    locations.retain(|(a, r)| account.is_none_or(|x| x == a) && region.is_none_or(|x| x == r));
    let regions: Vec<Value> = locations
        .iter()
        .map(|(a, r)| location_state(app, a, r))
        .collect();
    json!({ "regions": regions })
}

fn location_state(app: &App, account: &str, region: &str) -> Value {
    let queues: Vec<Value> = app
        .sqs_engine
        .list_queues(account, region, "")
        .iter()
        .map(|q| {
            let counts = q.counts();
            let attributes = q.attributes();
            json!({
                "name": q.name(),
                "arn": q.arn(),
                "fifo": q.is_fifo(),
                "messages": {
                    "visible": counts.visible,
                    "inFlight": counts.in_flight,
                    "delayed": counts.delayed,
                },
                "deadLetterTargetArn": attributes.redrive_policy.map(|p| p.dead_letter_target_arn),
                "tags": q.tags(),
            })
        })
        .collect();
    let topics: Vec<Value> = app
        .sns
        .engine()
        .topics(account, region)
        .iter()
        .map(|t| {
            let subscriptions: Vec<Value> = t
                .subscriptions()
                .iter()
                .map(|s| {
                    let settings = s.settings();
                    json!({
                        "arn": s.arn,
                        "protocol": s.protocol.as_str(),
                        "endpoint": s.endpoint,
                        "pendingConfirmation": s.is_pending(),
                        "rawMessageDelivery": settings.raw_message_delivery,
                        "filterPolicy": settings.filter_policy.map(|(text, _)| text),
                    })
                })
                .collect();
            json!({
                "name": t.name(),
                "arn": t.arn(),
                "fifo": t.is_fifo(),
                "subscriptions": subscriptions,
            })
        })
        .collect();
    let events = app.events.engine().summary(account, region);
    let buses: Vec<Value> = events
        .buses
        .iter()
        .map(|(name, rules)| {
            let rules: Vec<Value> = rules
                .iter()
                .map(|(rule, state, targets)| {
                    json!({"name": rule, "state": state.as_str(), "targets": targets})
                })
                .collect();
            json!({"name": name, "rules": rules})
        })
        .collect();
    let replays: Vec<Value> = events
        .replays
        .iter()
        .map(|(name, state)| json!({"name": name, "state": state}))
        .collect();
    json!({
        "accountId": account,
        "region": region,
        "sqs": {"queues": queues},
        "sns": {
            "topics": topics,
            "platformApplications": app.sns.engine().application_count(account, region),
        },
        "events": {
            "buses": buses,
            "archives": events.archives,
            "replays": replays,
            "connections": events.connections,
            "apiDestinations": events.api_destinations,
        },
    })
}
