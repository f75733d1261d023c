//! Who is calling, and where: what every operation needs besides its input.

/// The caller's account and region (from the SigV4 credential scope and access key) and the
/// address the request was sent to (so that queue URLs and topic links point back at us).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    /// 12-digit account id the request acts as.
    pub account_id: String,
    /// AWS region whose state the request reads and writes (e.g. `us-east-1`).
    pub region: String,
    /// `host[:port]` the client addressed, used to build URLs we hand back (queue URLs).
    pub host: String,
    /// Id of this request, echoed in `x-amzn-RequestId` and `ResponseMetadata/RequestId`.
    pub request_id: String,
    /// The caller's identity, as STS GetCallerIdentity names it: `arn:aws:iam::<acct>:root`
    /// for long-term keys, `arn:aws:sts::<acct>:assumed-role/<role>/<session>` for keys from
    /// AssumeRole, `arn:aws:sts::<acct>:federated-user/<name>` for GetFederationToken's.
    pub caller_arn: String,
    /// The request's `X-Amzn-Trace-Id` header (an X-Ray trace header), if any: SQS keeps it
    /// as the `AWSTraceHeader` of the messages sent, SNS passes it on to SQS subscriptions.
    pub trace_header: Option<String>,
}
