//! Mobile push (platform applications and endpoints) and SMS operations. The state is real;
//! what would be sent is recorded (see the admin endpoint).

use ferrybridge_engine::sns::{mobile, Recorded, SnsEngine, SnsError};
use ferrybridge_protocol::{RequestContext, ServiceError};
use serde_json::{json, Map, Value};

use crate::input::{invalid, missing, opt_str, req_str, service_error, str_list, str_map};
use crate::{empty, with_next};

fn attributes_value(attrs: &std::collections::BTreeMap<String, String>) -> Value {
    Value::Object(
        attrs
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect::<Map<String, Value>>(),
    )
}

fn required_attributes(input: &Value) -> Result<Vec<(String, String)>, ServiceError> {
    if input.get("Attributes").is_none_or(Value::is_null) {
        return Err(missing("Attributes"));
    }
    str_map(input, "Attributes")
}

pub(crate) fn create_platform_application(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let name = req_str(input, "Name")?;
    let platform = req_str(input, "Platform")?;
    let attributes = required_attributes(input)?;
    let app = e
        .create_platform_application(&ctx.account_id, &ctx.region, &name, &platform, &attributes)
        .map_err(service_error)?;
    Ok(json!({"PlatformApplicationArn": app.arn}))
}

pub(crate) fn get_platform_application_attributes(
    e: &SnsEngine,
    _ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let arn = req_str(input, "PlatformApplicationArn")?;
    let app = e.platform_application(&arn).map_err(service_error)?;
    Ok(json!({"Attributes": attributes_value(&app.attributes)}))
}

pub(crate) fn set_platform_application_attributes(
    e: &SnsEngine,
    _ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let arn = req_str(input, "PlatformApplicationArn")?;
    let attributes = required_attributes(input)?;
    e.set_platform_application_attributes(&arn, &attributes)
        .map_err(service_error)?;
    Ok(empty())
}

pub(crate) fn delete_platform_application(
    e: &SnsEngine,
    _ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let arn = req_str(input, "PlatformApplicationArn")?;
    e.delete_platform_application(&arn).map_err(service_error)?;
    Ok(empty())
}

pub(crate) fn list_platform_applications(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let token = opt_str(input, "NextToken")?;
    let page = e
        .list_platform_applications(&ctx.account_id, &ctx.region, token.as_deref())
        .map_err(service_error)?;
    let apps: Vec<Value> = page
        .items
        .iter()
        .map(|a| json!({"PlatformApplicationArn": a.arn, "Attributes": attributes_value(&a.attributes)}))
        .collect();
    Ok(with_next(
        json!({"PlatformApplications": apps}),
        "NextToken",
        page.next_token,
    ))
}

pub(crate) fn create_platform_endpoint(
    e: &SnsEngine,
    _ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let app = req_str(input, "PlatformApplicationArn")?;
    let token = req_str(input, "Token")?;
    let custom = opt_str(input, "CustomUserData")?;
    let attributes = str_map(input, "Attributes")?;
    let endpoint = e
        .create_platform_endpoint(&app, &token, custom.as_deref(), &attributes)
        .map_err(service_error)?;
    Ok(json!({"EndpointArn": endpoint.arn}))
}

pub(crate) fn get_endpoint_attributes(
    e: &SnsEngine,
    _ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let arn = req_str(input, "EndpointArn")?;
    let endpoint = e.platform_endpoint(&arn).map_err(service_error)?;
    Ok(json!({"Attributes": attributes_value(&endpoint.attributes)}))
}

pub(crate) fn set_endpoint_attributes(
    e: &SnsEngine,
    _ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let arn = req_str(input, "EndpointArn")?;
    let attributes = required_attributes(input)?;
    e.set_endpoint_attributes(&arn, &attributes)
        .map_err(service_error)?;
    Ok(empty())
}

pub(crate) fn delete_endpoint(
    e: &SnsEngine,
    _ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let arn = req_str(input, "EndpointArn")?;
    e.delete_endpoint(&arn).map_err(service_error)?;
    Ok(empty())
}

pub(crate) fn list_endpoints_by_platform_application(
    e: &SnsEngine,
    _ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let app = req_str(input, "PlatformApplicationArn")?;
    let token = opt_str(input, "NextToken")?;
    let page = e
        .list_endpoints(&app, token.as_deref())
        .map_err(service_error)?;
    let endpoints: Vec<Value> = page
        .items
        .iter()
        .map(|p| json!({"EndpointArn": p.arn, "Attributes": attributes_value(&p.attributes)}))
        .collect();
    Ok(with_next(
        json!({"Endpoints": endpoints}),
        "NextToken",
        page.next_token,
    ))
}

// ---- SMS ----

fn phone_number(input: &Value, member: &str) -> Result<String, ServiceError> {
    let phone = req_str(input, member)?;
    if !mobile::is_e164(&phone) {
        return Err(invalid("PhoneNumber Reason: input incorrectly formatted"));
    }
    Ok(phone)
}

pub(crate) fn set_sms_attributes(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    if input.get("attributes").is_none_or(Value::is_null) {
        return Err(missing("attributes"));
    }
    let attributes = str_map(input, "attributes")?;
    e.set_sms_attributes(&ctx.account_id, &ctx.region, &attributes)
        .map_err(service_error)?;
    Ok(empty())
}

pub(crate) fn get_sms_attributes(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let names = str_list(input, "attributes");
    let attrs = e.sms_attributes(&ctx.account_id, &ctx.region, &names);
    Ok(json!({"attributes": attributes_value(&attrs)}))
}

pub(crate) fn check_if_phone_number_is_opted_out(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let phone = phone_number(input, "phoneNumber")?;
    let out = e.is_opted_out(&ctx.account_id, &ctx.region, &phone);
    Ok(json!({"isOptedOut": out}))
}

pub(crate) fn list_phone_numbers_opted_out(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let token = opt_str(input, "nextToken")?;
    let all = e.opted_out_numbers(&ctx.account_id, &ctx.region);
    let page =
        ferrybridge_engine::sns::page(&all, token.as_deref()).map_err(|_| invalid("nextToken"))?;
    Ok(with_next(
        json!({"phoneNumbers": page.items}),
        "nextToken",
        page.next_token,
    ))
}

pub(crate) fn opt_in_phone_number(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let phone = phone_number(input, "phoneNumber")?;
    e.opt_in(&ctx.account_id, &ctx.region, &phone);
    Ok(empty())
}

pub(crate) fn get_sms_sandbox_account_status(
    _e: &SnsEngine,
    _ctx: &RequestContext,
    _input: &Value,
) -> Result<Value, ServiceError> {
    // The emulator behaves as an account moved out of the sandbox: SMS to any number is
    // accepted (and recorded).
    Ok(json!({"IsInSandbox": false}))
}

pub(crate) fn create_sms_sandbox_phone_number(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let phone = phone_number(input, "PhoneNumber")?;
    let otp = format!("{:06}", rand::random::<u32>() % 1_000_000);
    e.add_sandbox_number(&ctx.account_id, &ctx.region, &phone, &otp);
    // The one-time password goes out by SMS: recorded, so a test can read it.
    e.record(Recorded {
        account_id: ctx.account_id.clone(),
        region: ctx.region.clone(),
        protocol: "sms".into(),
        endpoint: phone,
        topic_arn: None,
        subscription_arn: None,
        message_id: uuid::Uuid::new_v4().to_string(),
        subject: None,
        message: format!("Your verification code is {otp}"),
        attributes: Vec::new(),
        timestamp_ms: e.clock().now_millis(),
    });
    Ok(empty())
}

pub(crate) fn verify_sms_sandbox_phone_number(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let phone = phone_number(input, "PhoneNumber")?;
    let otp = req_str(input, "OneTimePassword")?;
    e.verify_sandbox_number(&ctx.account_id, &ctx.region, &phone, &otp)
        .map_err(service_error)?;
    Ok(empty())
}

pub(crate) fn delete_sms_sandbox_phone_number(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value, ServiceError> {
    let phone = phone_number(input, "PhoneNumber")?;
    if !e.remove_sandbox_number(&ctx.account_id, &ctx.region, &phone) {
        return Err(service_error(SnsError::ResourceNotFound(
            "Resource does not exist".into(),
        )));
    }
    Ok(empty())
}

pub(crate) fn list_sms_sandbox_phone_numbers(
    e: &SnsEngine,
    ctx: &RequestContext,
    _input: &Value,
) -> Result<Value, ServiceError> {
    let numbers: Vec<Value> = e
        .sandbox_numbers(&ctx.account_id, &ctx.region)
        .into_iter()
        .map(|(p, verified)| {
            json!({"PhoneNumber": p, "Status": if verified { "Verified" } else { "Pending" }})
        })
        .collect();
    Ok(json!({"PhoneNumbers": numbers}))
}

pub(crate) fn list_origination_numbers(
    _e: &SnsEngine,
    _ctx: &RequestContext,
    _input: &Value,
) -> Result<Value, ServiceError> {
    // No origination numbers can be bought in the emulator.
    Ok(json!({"PhoneNumbers": []}))
}
