//! The `--config` file: loaded and checked by `ferrybridge-config`, then created through the
//! services' own operations (as a signed request in the entry's account and region would),
//! before the listener accepts its first connection.

use std::net::SocketAddr;

use ferrybridge_config::{Api, ApiError, BoxFuture};
use ferrybridge_protocol::RequestContext;
use serde_json::Value;

use crate::app::App;

struct Services<'a> {
    app: &'a App,
    host: String,
}

impl Api for Services<'_> {
    fn call<'a>(
        &'a self,
        service: &'static str,
        account: &'a str,
        region: &'a str,
        operation: &'static str,
        input: Value,
    ) -> BoxFuture<'a, Result<Value, ApiError>> {
        Box::pin(async move {
            let ctx = RequestContext {
                account_id: account.to_owned(),
                region: region.to_owned(),
                host: self.host.clone(),
                request_id: uuid::Uuid::new_v4().to_string(),
                caller_arn: format!("arn:aws:iam::{account}:root"),
                trace_header: None,
            };
            let app = self.app;
            let result = match service {
                "sqs" => app.sqs.handle(&ctx, operation, input).await,
                "sns" => app.sns.call(&ctx, operation, input, true).await,
                _ => app.events.call(&ctx, operation, input).await,
            };
            result.map_err(|e| ApiError {
                code: e.code.to_string(),
                message: e.message,
            })
        })
    }
}

/// Creates the resources of `--config` (if given). The error names the file, line and field.
pub(crate) async fn apply_config_file(app: &App, addr: SocketAddr) -> Result<(), String> {
    let Some(path) = &app.config.config_file else {
        return Ok(());
    };
    let config = ferrybridge_config::load(
        path,
        &app.config.default_account_id,
        &app.config.default_region,
    )
    .map_err(|e| format!("bad start-up config: {e}"))?;
    let host = match &app.config.public_host {
        Some(h) => h.clone(),
        None if addr.ip().is_unspecified() => format!("localhost:{}", addr.port()),
        None => addr.to_string(),
    };
    ferrybridge_config::apply(&config, &Services { app, host })
        .await
        .map_err(|e| format!("bad start-up config: {e}"))?;
    tracing::info!(file = %path.display(), resources = config.len(), "start-up config applied");
    Ok(())
}
