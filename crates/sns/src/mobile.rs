//! Mobile push (platform applications and endpoints) and SMS operations. The state is real;
//! what would be sent is recorded (see the admin endpoint).

use std::collections::BTreeMap;

use ferrybridge_api::sns::{
    self as api, CheckIfPhoneNumberIsOptedOutInput, CheckIfPhoneNumberIsOptedOutResponse,
    CreateEndpointResponse, CreatePlatformApplicationInput, CreatePlatformApplicationResponse,
    CreatePlatformEndpointInput, CreateSMSSandboxPhoneNumberInput,
    CreateSMSSandboxPhoneNumberResult, DeleteEndpointInput, DeletePlatformApplicationInput,
    DeleteSMSSandboxPhoneNumberInput, DeleteSMSSandboxPhoneNumberResult,
    GetEndpointAttributesInput, GetEndpointAttributesResponse,
    GetPlatformApplicationAttributesInput, GetPlatformApplicationAttributesResponse,
    GetSMSAttributesInput, GetSMSAttributesResponse, GetSMSSandboxAccountStatusInput,
    GetSMSSandboxAccountStatusResult, ListEndpointsByPlatformApplicationInput,
    ListEndpointsByPlatformApplicationResponse, ListOriginationNumbersRequest,
    ListOriginationNumbersResult, ListPhoneNumbersOptedOutInput, ListPhoneNumbersOptedOutResponse,
    ListPlatformApplicationsInput, ListPlatformApplicationsResponse,
    ListSMSSandboxPhoneNumbersInput, ListSMSSandboxPhoneNumbersResult, OptInPhoneNumberInput,
    OptInPhoneNumberResponse, SetEndpointAttributesInput, SetPlatformApplicationAttributesInput,
    SetSMSAttributesInput, SetSMSAttributesResponse, VerifySMSSandboxPhoneNumberInput,
    VerifySMSSandboxPhoneNumberResult,
};
use ferrybridge_api::Entries;
use ferrybridge_engine::sns::{mobile, Recorded, SnsEngine, SnsError};
use ferrybridge_protocol::{RequestContext, ServiceError};

use crate::input::{invalid, missing, required, service_error};

fn attributes_value(attrs: &BTreeMap<String, String>) -> Option<Entries<String>> {
    Some(attrs.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// A required `Attributes` map.
fn required_attributes(
    attributes: Option<Entries<String>>,
) -> Result<Vec<(String, String)>, ServiceError> {
    required(attributes, "Attributes").map(|m| m.0)
}

pub(crate) fn create_platform_application(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: CreatePlatformApplicationInput,
) -> Result<CreatePlatformApplicationResponse, ServiceError> {
    let name = required(input.name, "Name")?;
    let platform = required(input.platform, "Platform")?;
    let attributes = required_attributes(input.attributes)?;
    let app = e
        .create_platform_application(&ctx.account_id, &ctx.region, &name, &platform, &attributes)
        .map_err(service_error)?;
    Ok(CreatePlatformApplicationResponse {
        platform_application_arn: Some(app.arn),
    })
}

pub(crate) fn get_platform_application_attributes(
    e: &SnsEngine,
    _ctx: &RequestContext,
    input: GetPlatformApplicationAttributesInput,
) -> Result<GetPlatformApplicationAttributesResponse, ServiceError> {
    let arn = required(input.platform_application_arn, "PlatformApplicationArn")?;
    let app = e.platform_application(&arn).map_err(service_error)?;
    Ok(GetPlatformApplicationAttributesResponse {
        attributes: attributes_value(&app.attributes),
    })
}

pub(crate) fn set_platform_application_attributes(
    e: &SnsEngine,
    _ctx: &RequestContext,
    input: SetPlatformApplicationAttributesInput,
) -> Result<(), ServiceError> {
    let arn = required(input.platform_application_arn, "PlatformApplicationArn")?;
    let attributes = required_attributes(input.attributes)?;
    e.set_platform_application_attributes(&arn, &attributes)
        .map_err(service_error)?;
    Ok(())
}

pub(crate) fn delete_platform_application(
    e: &SnsEngine,
    _ctx: &RequestContext,
    input: DeletePlatformApplicationInput,
) -> Result<(), ServiceError> {
    let arn = required(input.platform_application_arn, "PlatformApplicationArn")?;
    e.delete_platform_application(&arn).map_err(service_error)?;
    Ok(())
}

pub(crate) fn list_platform_applications(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: ListPlatformApplicationsInput,
) -> Result<ListPlatformApplicationsResponse, ServiceError> {
    let page = e
        .list_platform_applications(&ctx.account_id, &ctx.region, input.next_token.as_deref())
        .map_err(service_error)?;
    let apps = page
        .items
        .iter()
        .map(|a| api::PlatformApplication {
            platform_application_arn: Some(a.arn.clone()),
            attributes: attributes_value(&a.attributes),
        })
        .collect();
    Ok(ListPlatformApplicationsResponse {
        platform_applications: Some(apps),
        next_token: page.next_token,
    })
}

pub(crate) fn create_platform_endpoint(
    e: &SnsEngine,
    _ctx: &RequestContext,
    input: CreatePlatformEndpointInput,
) -> Result<CreateEndpointResponse, ServiceError> {
    let app = required(input.platform_application_arn, "PlatformApplicationArn")?;
    let token = required(input.token, "Token")?;
    let attributes = crate::input::str_map(input.attributes);
    let endpoint = e
        .create_platform_endpoint(&app, &token, input.custom_user_data.as_deref(), &attributes)
        .map_err(service_error)?;
    Ok(CreateEndpointResponse {
        endpoint_arn: Some(endpoint.arn),
    })
}

pub(crate) fn get_endpoint_attributes(
    e: &SnsEngine,
    _ctx: &RequestContext,
    input: GetEndpointAttributesInput,
) -> Result<GetEndpointAttributesResponse, ServiceError> {
    let arn = required(input.endpoint_arn, "EndpointArn")?;
    let endpoint = e.platform_endpoint(&arn).map_err(service_error)?;
    Ok(GetEndpointAttributesResponse {
        attributes: attributes_value(&endpoint.attributes),
    })
}

pub(crate) fn set_endpoint_attributes(
    e: &SnsEngine,
    _ctx: &RequestContext,
    input: SetEndpointAttributesInput,
) -> Result<(), ServiceError> {
    let arn = required(input.endpoint_arn, "EndpointArn")?;
    let attributes = required_attributes(input.attributes)?;
    e.set_endpoint_attributes(&arn, &attributes)
        .map_err(service_error)?;
    Ok(())
}

pub(crate) fn delete_endpoint(
    e: &SnsEngine,
    _ctx: &RequestContext,
    input: DeleteEndpointInput,
) -> Result<(), ServiceError> {
    let arn = required(input.endpoint_arn, "EndpointArn")?;
    e.delete_endpoint(&arn).map_err(service_error)?;
    Ok(())
}

pub(crate) fn list_endpoints_by_platform_application(
    e: &SnsEngine,
    _ctx: &RequestContext,
    input: ListEndpointsByPlatformApplicationInput,
) -> Result<ListEndpointsByPlatformApplicationResponse, ServiceError> {
    let app = required(input.platform_application_arn, "PlatformApplicationArn")?;
    let page = e
        .list_endpoints(&app, input.next_token.as_deref())
        .map_err(service_error)?;
    let endpoints = page
        .items
        .iter()
        .map(|p| api::Endpoint {
            endpoint_arn: Some(p.arn.clone()),
            attributes: attributes_value(&p.attributes),
        })
        .collect();
    Ok(ListEndpointsByPlatformApplicationResponse {
        endpoints: Some(endpoints),
        next_token: page.next_token,
    })
}

// ---- SMS ----

/// A required phone number in E.164 form.
fn phone_number(phone: Option<String>, member: &str) -> Result<String, ServiceError> {
    let phone = required(phone, member)?;
    if !mobile::is_e164(&phone) {
        return Err(invalid("PhoneNumber Reason: input incorrectly formatted"));
    }
    Ok(phone)
}

pub(crate) fn set_sms_attributes(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: SetSMSAttributesInput,
) -> Result<SetSMSAttributesResponse, ServiceError> {
    let Some(attributes) = input.attributes else {
        return Err(missing("attributes"));
    };
    e.set_sms_attributes(&ctx.account_id, &ctx.region, &attributes)
        .map_err(service_error)?;
    Ok(SetSMSAttributesResponse {})
}

pub(crate) fn get_sms_attributes(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: GetSMSAttributesInput,
) -> Result<GetSMSAttributesResponse, ServiceError> {
    let names = input.attributes.unwrap_or_default();
    let attrs = e.sms_attributes(&ctx.account_id, &ctx.region, &names);
    Ok(GetSMSAttributesResponse {
        attributes: attributes_value(&attrs),
    })
}

pub(crate) fn check_if_phone_number_is_opted_out(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: CheckIfPhoneNumberIsOptedOutInput,
) -> Result<CheckIfPhoneNumberIsOptedOutResponse, ServiceError> {
    let phone = phone_number(input.phone_number, "phoneNumber")?;
    let out = e.is_opted_out(&ctx.account_id, &ctx.region, &phone);
    Ok(CheckIfPhoneNumberIsOptedOutResponse {
        is_opted_out: Some(out),
    })
}

pub(crate) fn list_phone_numbers_opted_out(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: ListPhoneNumbersOptedOutInput,
) -> Result<ListPhoneNumbersOptedOutResponse, ServiceError> {
    let all = e.opted_out_numbers(&ctx.account_id, &ctx.region);
    let page = ferrybridge_engine::sns::page(&all, input.next_token.as_deref())
        .map_err(|_| invalid("nextToken"))?;
    Ok(ListPhoneNumbersOptedOutResponse {
        phone_numbers: Some(page.items),
        next_token: page.next_token,
    })
}

pub(crate) fn opt_in_phone_number(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: OptInPhoneNumberInput,
) -> Result<OptInPhoneNumberResponse, ServiceError> {
    let phone = phone_number(input.phone_number, "phoneNumber")?;
    e.opt_in(&ctx.account_id, &ctx.region, &phone);
    Ok(OptInPhoneNumberResponse {})
}

pub(crate) fn get_sms_sandbox_account_status(
    _e: &SnsEngine,
    _ctx: &RequestContext,
    _input: GetSMSSandboxAccountStatusInput,
) -> Result<GetSMSSandboxAccountStatusResult, ServiceError> {
    // The emulator behaves as an account moved out of the sandbox: SMS to any number is
    // accepted (and recorded).
    Ok(GetSMSSandboxAccountStatusResult {
        is_in_sandbox: false,
    })
}

pub(crate) fn create_sms_sandbox_phone_number(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: CreateSMSSandboxPhoneNumberInput,
) -> Result<CreateSMSSandboxPhoneNumberResult, ServiceError> {
    let phone = phone_number(input.phone_number, "PhoneNumber")?;
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
    Ok(CreateSMSSandboxPhoneNumberResult {})
}

pub(crate) fn verify_sms_sandbox_phone_number(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: VerifySMSSandboxPhoneNumberInput,
) -> Result<VerifySMSSandboxPhoneNumberResult, ServiceError> {
    let phone = phone_number(input.phone_number, "PhoneNumber")?;
    let otp = required(input.one_time_password, "OneTimePassword")?;
    e.verify_sandbox_number(&ctx.account_id, &ctx.region, &phone, &otp)
        .map_err(service_error)?;
    Ok(VerifySMSSandboxPhoneNumberResult {})
}

pub(crate) fn delete_sms_sandbox_phone_number(
    e: &SnsEngine,
    ctx: &RequestContext,
    input: DeleteSMSSandboxPhoneNumberInput,
) -> Result<DeleteSMSSandboxPhoneNumberResult, ServiceError> {
    let phone = phone_number(input.phone_number, "PhoneNumber")?;
    if !e.remove_sandbox_number(&ctx.account_id, &ctx.region, &phone) {
        return Err(service_error(SnsError::ResourceNotFound(
            "Resource does not exist".into(),
        )));
    }
    Ok(DeleteSMSSandboxPhoneNumberResult {})
}

pub(crate) fn list_sms_sandbox_phone_numbers(
    e: &SnsEngine,
    ctx: &RequestContext,
    _input: ListSMSSandboxPhoneNumbersInput,
) -> Result<ListSMSSandboxPhoneNumbersResult, ServiceError> {
    let numbers = e
        .sandbox_numbers(&ctx.account_id, &ctx.region)
        .into_iter()
        .map(|(p, verified)| api::SMSSandboxPhoneNumber {
            phone_number: Some(p),
            status: Some(if verified { "Verified" } else { "Pending" }.to_owned()),
        })
        .collect();
    Ok(ListSMSSandboxPhoneNumbersResult {
        phone_numbers: numbers,
        next_token: None,
    })
}

pub(crate) fn list_origination_numbers(
    _e: &SnsEngine,
    _ctx: &RequestContext,
    _input: ListOriginationNumbersRequest,
) -> Result<ListOriginationNumbersResult, ServiceError> {
    // No origination numbers can be bought in the emulator.
    Ok(ListOriginationNumbersResult {
        next_token: None,
        phone_numbers: Some(Vec::new()),
    })
}
