//! Resource policies (SQS queue `Policy`, SNS topic `Policy`, EventBridge bus policies) and the
//! one evaluator every service uses to decide whether a caller may act on a resource.
//!
//! A policy document is parsed once, where it is stored ([`Policy::parse`]), and evaluated per
//! request ([`Policy::evaluate`], [`authorize`]) following AWS's "Policy evaluation logic"
//! (IAM User Guide, `reference_policies_evaluation-logic.html` and its pages
//! `..._policy-eval-denyallow.html`, `..._policy-eval-basics.html`,
//! `..._evaluation-logic-cross-account.html`):
//!
//! * every request starts implicitly denied; an explicit `Deny` in any statement that applies
//!   overrides every `Allow`;
//! * within one account, a resource policy `Allow` is not needed (the emulator has no IAM
//!   identity policies, so it treats every same-account identity as allowed by its own
//!   policies) but an explicit `Deny` still denies;
//! * across accounts, and for AWS service principals (`sns.amazonaws.com`...), the resource
//!   policy must `Allow` the request.
//!
//! The emulator has no AWS Organizations: conditions on `aws:PrincipalOrgID` (and the other
//! organization keys) are ignored, that is treated as satisfied. `aws:SecureTransport` is
//! `true`: the emulator's plain HTTP stands in for AWS's TLS endpoints, and policies that deny
//! insecure transport (a common guard) would otherwise deny everything locally.

mod condition;
mod matching;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use serde_json::Value;

pub use condition::Condition;

/// Who makes a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal<'a> {
    /// An IAM identity: the account root, a user, or an assumed-role session
    /// (`arn:aws:sts::<acct>:assumed-role/<role>/<session>`).
    Aws { account: &'a str, arn: &'a str },
    /// An AWS service acting for a resource (`sns.amazonaws.com` delivering a topic's message).
    Service(&'a str),
}

impl Principal<'_> {
    /// The account the principal belongs to (`None` for a service).
    pub fn account(&self) -> Option<&str> {
        match self {
            Principal::Aws { account, .. } => Some(account),
            Principal::Service(_) => None,
        }
    }
}

/// One request to authorize.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub principal: Principal<'a>,
    /// `service:Action` (`sqs:SendMessage`); matched case-insensitively, as AWS does.
    pub action: &'a str,
    /// The resource's ARN.
    pub resource: &'a str,
    /// Further condition keys of the request (`aws:SourceArn`, `aws:SourceAccount`,
    /// `events:creatorAccount`...), names case-insensitive. `aws:PrincipalAccount`,
    /// `aws:PrincipalArn`, `aws:PrincipalType`, `aws:PrincipalIsAWSService`,
    /// `aws:PrincipalServiceName`, `aws:SourceOwner` and `aws:SecureTransport` are derived.
    pub context: &'a [(&'a str, &'a str)],
}

/// What a policy says about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// At least one statement allows it and none denies it.
    Allow,
    /// A statement denies it.
    ExplicitDeny,
    /// No statement applies.
    ImplicitDeny,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Allow,
    Deny,
}

/// `Principal` / `NotPrincipal` of a statement.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Principals {
    /// `"*"` or `{"AWS": "*"}`: everyone.
    any: bool,
    /// `AWS` values: account ids, `arn:aws:iam::<acct>:root`, user, role and session ARNs.
    aws: Vec<String>,
    /// `Service` values (`sns.amazonaws.com`), lower-cased.
    service: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Statement {
    effect: Effect,
    /// `Principal` (`negated`: it was `NotPrincipal`). `None`: neither given, as in identity
    /// policies; in a resource policy such a statement applies to no one.
    principal: Option<(Principals, bool)>,
    /// `Action` (or `NotAction` when negated) patterns, lower-cased.
    action: (Vec<String>, bool),
    /// `Resource` (or `NotResource`) patterns; no element at all matches every resource (the
    /// resource of a resource policy is implicitly the resource it is attached to).
    resource: Option<(Vec<String>, bool)>,
    conditions: Vec<Condition>,
}

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Policy {
    statements: Vec<Statement>,
}

/// Why a policy document cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError(pub String);

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn strings(value: &Value) -> Result<Vec<String>, PolicyError> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(list) => list
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                Value::Bool(b) => Ok(b.to_string()),
                _ => Err(PolicyError("a list of strings was expected".into())),
            })
            .collect(),
        Value::Number(n) => Ok(vec![n.to_string()]),
        Value::Bool(b) => Ok(vec![b.to_string()]),
        _ => Err(PolicyError(
            "a string or a list of strings was expected".into(),
        )),
    }
}

fn parse_principals(value: &Value) -> Result<Principals, PolicyError> {
    let mut out = Principals::default();
    match value {
        Value::String(s) if s == "*" => out.any = true,
        Value::Object(map) => {
            for (kind, names) in map {
                let names = strings(names)?;
                match kind.as_str() {
                    "AWS" => {
                        if names.iter().any(|n| n == "*") {
                            out.any = true;
                        }
                        out.aws.extend(names);
                    }
                    "Service" => out
                        .service
                        .extend(names.iter().map(|n| n.to_ascii_lowercase())),
                    // Federated and CanonicalUser principals never call this emulator.
                    _ => {}
                }
            }
        }
        _ => return Err(PolicyError("invalid Principal".into())),
    }
    Ok(out)
}

fn parse_statement(s: &Value) -> Result<Statement, PolicyError> {
    let Value::Object(map) = s else {
        return Err(PolicyError("a statement is not an object".into()));
    };
    let effect = match map.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        _ => return Err(PolicyError("Effect must be Allow or Deny".into())),
    };
    let principal = match (map.get("Principal"), map.get("NotPrincipal")) {
        (Some(p), None) => Some((parse_principals(p)?, false)),
        (None, Some(p)) => Some((parse_principals(p)?, true)),
        (None, None) => None,
        (Some(_), Some(_)) => {
            return Err(PolicyError(
                "a statement has both Principal and NotPrincipal".into(),
            ))
        }
    };
    let lower = |v: Vec<String>| v.into_iter().map(|a| a.to_ascii_lowercase()).collect();
    let action = match (map.get("Action"), map.get("NotAction")) {
        (Some(a), None) => (lower(strings(a)?), false),
        (None, Some(a)) => (lower(strings(a)?), true),
        _ => {
            return Err(PolicyError(
                "a statement needs exactly one of Action and NotAction".into(),
            ))
        }
    };
    let resource = match (map.get("Resource"), map.get("NotResource")) {
        (Some(r), None) => Some((strings(r)?, false)),
        (None, Some(r)) => Some((strings(r)?, true)),
        (None, None) => None,
        (Some(_), Some(_)) => {
            return Err(PolicyError(
                "a statement has both Resource and NotResource".into(),
            ))
        }
    };
    let conditions = match map.get("Condition") {
        None => Vec::new(),
        Some(c) => condition::parse_block(c)?,
    };
    Ok(Statement {
        effect,
        principal,
        action,
        resource,
        conditions,
    })
}

impl Policy {
    /// Parses a policy document (JSON text).
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| PolicyError(format!("invalid JSON: {e}")))?;
        Policy::from_value(&value)
    }

    /// Parses a policy document already read as JSON.
    pub fn from_value(value: &Value) -> Result<Policy, PolicyError> {
        let statements = match value.get("Statement") {
            Some(Value::Array(list)) => {
                list.iter().map(parse_statement).collect::<Result<_, _>>()?
            }
            Some(one @ Value::Object(_)) => vec![parse_statement(one)?],
            None => Vec::new(),
            Some(_) => return Err(PolicyError("Statement must be a list or an object".into())),
        };
        Ok(Policy { statements })
    }

    /// [`Policy::parse`] for stored documents: a document that cannot be parsed (stores accept
    /// any JSON object, as AWS's front ends do for some services) keeps every statement that
    /// parses; unparseable statements are dropped. `None` for text that is not JSON.
    pub fn parse_lenient(text: &str) -> Option<Arc<Policy>> {
        let value: Value = serde_json::from_str(text).ok()?;
        Some(Arc::new(Policy::from_value_lenient(&value)))
    }

    /// [`Policy::parse_lenient`] from JSON.
    pub fn from_value_lenient(value: &Value) -> Policy {
        let list = match value.get("Statement") {
            Some(Value::Array(list)) => list.iter().collect(),
            Some(one @ Value::Object(_)) => vec![one],
            _ => Vec::new(),
        };
        Policy {
            statements: list
                .into_iter()
                .filter_map(|s| parse_statement(s).ok())
                .collect(),
        }
    }

    /// Whether any statement denies (only such a policy can stop its own account).
    pub fn has_deny(&self) -> bool {
        self.statements.iter().any(|s| s.effect == Effect::Deny)
    }

    /// What this policy says about `req`.
    pub fn evaluate(&self, req: &Request<'_>) -> Decision {
        // The condition keys are gathered only once a statement gets as far as its conditions.
        let mut ctx: Option<condition::Context<'_>> = None;
        let mut allowed = false;
        for s in &self.statements {
            if !s.applies(req, &mut ctx) {
                continue;
            }
            match s.effect {
                Effect::Deny => return Decision::ExplicitDeny,
                Effect::Allow => allowed = true,
            }
        }
        if allowed {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        }
    }
}

impl Statement {
    fn applies<'r>(&self, req: &'r Request<'r>, ctx: &mut Option<condition::Context<'r>>) -> bool {
        let Some((principals, negated)) = &self.principal else {
            return false;
        };
        if principals.matches(&req.principal) == *negated {
            return false;
        }
        let (actions, negated) = &self.action;
        if actions
            .iter()
            .any(|p| matching::glob_ignore_case(p, req.action))
            == *negated
        {
            return false;
        }
        if let Some((resources, negated)) = &self.resource {
            if resources
                .iter()
                .any(|p| matching::arn_like(p, req.resource))
                == *negated
            {
                return false;
            }
        }
        if self.conditions.is_empty() {
            return true;
        }
        let ctx = ctx.get_or_insert_with(|| condition::Context::new(req));
        self.conditions.iter().all(|c| c.holds(ctx))
    }
}

impl Principals {
    fn matches(&self, who: &Principal<'_>) -> bool {
        if self.any {
            return true;
        }
        match who {
            Principal::Service(name) => self.service.iter().any(|s| s.eq_ignore_ascii_case(name)),
            Principal::Aws { account, arn } => self
                .aws
                .iter()
                .any(|p| matching::aws_principal(p, account, arn)),
        }
    }
}

/// The decision for `req` on a resource owned by `owner` whose policy is `policy`:
/// `true` when the request may proceed. Same-account IAM callers need no `Allow` (only an
/// explicit `Deny` stops them); callers of other accounts and AWS services need one.
pub fn authorize(policy: Option<&Policy>, owner: &str, req: &Request<'_>) -> Decision {
    let own_account = req.principal.account() == Some(owner);
    if own_account && !policy.is_some_and(Policy::has_deny) {
        // Nothing can deny it: skip the evaluation (the hot path of every same-account call).
        return Decision::Allow;
    }
    let decision = policy.map_or(Decision::ImplicitDeny, |p| p.evaluate(req));
    match (decision, req.principal.account()) {
        (Decision::ImplicitDeny, Some(account)) if account == owner => Decision::Allow,
        (d, _) => d,
    }
}

/// The text AWS puts in IAM-style denials (`... because no resource-based policy allows the
/// sqs:sendmessage action` / `... with an explicit deny in a resource-based policy`).
pub fn denial_reason(decision: Decision, action: &str) -> String {
    match decision {
        Decision::ExplicitDeny => "with an explicit deny in a resource-based policy".to_owned(),
        _ => format!("because no resource-based policy allows the {action} action"),
    }
}
