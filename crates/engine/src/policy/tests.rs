//! The evaluator's case table. Each policy comes from (or follows closely) an example of AWS's
//! documentation, named in the case:
//! * SQS Developer Guide, "Basic examples of Amazon SQS policies"
//!   (`sqs-basic-examples-of-sqs-policies.html`) and "Using custom policies with the Amazon
//!   SQS access policy language" (`sqs-creating-custom-policies-access-policy-examples.html`);
//! * SNS Developer Guide, "Subscribing an Amazon SQS queue to an Amazon SNS topic"
//!   (`subscribe-sqs-queue-to-sns-topic.html`) (the default topic policy, which the SNS engine
//!   writes, is tested with it in `sns/tests.rs`);
//! * EventBridge User Guide, "Permissions for event buses" (`eb-event-bus-perms.html`) and
//!   "Example policy: Send events to the same account and restrict updates"
//!   (`eb-event-bus-example-policy-same-account-creator.html`), "Using resource-based
//!   policies" for SQS/SNS targets (`eb-use-resource-based.html`);
//! * IAM User Guide, "Policy evaluation logic" (explicit deny, same- and cross-account),
//!   "NotPrincipal", "NotAction", "NotResource", "Condition operators" (`...IfExists`, `Null`,
//!   multiple keys and values), "Policy variables".

use super::*;

const A: &str = "111111111111";
const B: &str = "222222222222";
const Q: &str = "arn:aws:sqs:us-east-1:111111111111:orders";
const T: &str = "arn:aws:sns:us-east-1:111111111111:alerts";

fn root(account: &'static str) -> Principal<'static> {
    Principal::Aws {
        account,
        arn: if account == A {
            "arn:aws:iam::111111111111:root"
        } else {
            "arn:aws:iam::222222222222:root"
        },
    }
}

struct Case {
    name: &'static str,
    policy: &'static str,
    principal: Principal<'static>,
    action: &'static str,
    resource: &'static str,
    context: &'static [(&'static str, &'static str)],
    owner: &'static str,
    want: Decision,
}

fn cases() -> Vec<Case> {
    use Decision::*;
    let sns_to_sqs = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage",
        "Resource":"arn:aws:sqs:us-east-1:111111111111:orders",
        "Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111111111111:alerts"}}}]}"#;
    let two_accounts = r#"{"Version":"2012-10-17","Id":"Queue1_Policy_UUID","Statement":[{
        "Sid":"Queue1_AllActions","Effect":"Allow",
        "Principal":{"AWS":["arn:aws:iam::222222222222:root","333333333333"]},
        "Action":"sqs:*","Resource":"arn:aws:sqs:us-east-1:111111111111:orders"}]}"#;
    let send_only_upper = r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow",
        "Principal":{"AWS":"222222222222"},"Action":["SQS:SendMessage","SQS:ReceiveMessage"],
        "Resource":"arn:aws:sqs:*:111111111111:ord*"}]}"#;
    let deny_overrides = r#"{"Statement":[
        {"Effect":"Allow","Principal":"*","Action":"sqs:*","Resource":"*"},
        {"Effect":"Deny","Principal":{"AWS":"222222222222"},"Action":"sqs:DeleteMessage","Resource":"*"}]}"#;
    let deny_all_but_owner = r#"{"Statement":[{"Effect":"Deny",
        "NotPrincipal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sqs:*","Resource":"*"}]}"#;
    let not_action = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},
        "NotAction":["sqs:DeleteMessage","sqs:PurgeQueue"],"Resource":"*"}]}"#;
    let not_resource = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"222222222222"},
        "Action":"sqs:*","NotResource":"arn:aws:sqs:us-east-1:111111111111:secret-*"}]}"#;
    let role = r#"{"Statement":[{"Effect":"Allow",
        "Principal":{"AWS":"arn:aws:iam::222222222222:role/app/Worker"},
        "Action":"sqs:ReceiveMessage","Resource":"*"}]}"#;
    let events_creator = r#"{"Version":"2012-10-17","Statement":[{
        "Sid":"InvoiceProcessingRuleCreation","Effect":"Allow",
        "Principal":{"AWS":"arn:aws:iam::222222222222:root"},
        "Action":["events:PutRule","events:DeleteRule","events:DescribeRule","events:DisableRule",
                  "events:EnableRule","events:PutTargets","events:RemoveTargets"],
        "Resource":"arn:aws:events:us-east-1:111111111111:rule/central-event-bus/*",
        "Condition":{"StringEqualsIfExists":{"events:creatorAccount":"${aws:PrincipalAccount}",
                                              "events:source":"com.exampleCorp.webStore"}}}]}"#;
    let events_to_sqs_star = r#"{"Statement":[{"Effect":"Allow","Principal":"*",
        "Action":"sqs:SendMessage","Resource":"*",
        "Condition":{"ArnLike":{"aws:SourceArn":["arn:aws:events:us-east-1:111111111111:rule/*",
                                                 "arn:aws:events:us-east-1:111111111111:rule/other/*"]}}}]}"#;
    let and_keys = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},
        "Action":"sns:Publish","Resource":"*",
        "Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"},
                     "ArnLike":{"aws:SourceArn":"arn:aws:events:*:111111111111:rule/keep"}}}]}"#;
    let null_cond = r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"sqs:SendMessage",
        "Resource":"*","Condition":{"Null":{"aws:SourceArn":"true"}}}]}"#;
    let org = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"events:PutEvents",
        "Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}]}"#;
    let secure = r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"sqs:*","Resource":"*",
        "Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
    let not_equals = r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"sqs:*","Resource":"*",
        "Condition":{"StringNotEquals":{"aws:PrincipalAccount":["111111111111","333333333333"]}}}]}"#;
    let numeric = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage",
        "Resource":"*","Condition":{"NumericLessThanEquals":{"sqs:delay":"10"},
                                    "DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}]}"#;
    let rule_src: &'static [(&str, &str)] = &[(
        "aws:SourceArn",
        "arn:aws:events:us-east-1:111111111111:rule/keep",
    )];
    vec![
        // SNS Developer Guide: the queue policy that lets one topic deliver.
        Case {
            name: "sns->sqs allowed for its topic",
            policy: sns_to_sqs,
            principal: Principal::Service("sns.amazonaws.com"),
            action: "sqs:SendMessage",
            resource: Q,
            context: &[("aws:SourceArn", T)],
            owner: A,
            want: Allow,
        },
        Case {
            name: "sns->sqs refused for another topic",
            policy: sns_to_sqs,
            principal: Principal::Service("sns.amazonaws.com"),
            action: "sqs:SendMessage",
            resource: Q,
            context: &[("aws:SourceArn", "arn:aws:sns:us-east-1:111111111111:x")],
            owner: A,
            want: ImplicitDeny,
        },
        Case {
            name: "sns->sqs refused without source",
            policy: sns_to_sqs,
            principal: Principal::Service("sns.amazonaws.com"),
            action: "sqs:SendMessage",
            resource: Q,
            context: &[],
            owner: A,
            want: ImplicitDeny,
        },
        Case {
            name: "service principal does not grant events",
            policy: sns_to_sqs,
            principal: Principal::Service("events.amazonaws.com"),
            action: "sqs:SendMessage",
            resource: Q,
            context: &[("aws:SourceArn", T)],
            owner: A,
            want: ImplicitDeny,
        },
        Case {
            name: "service principal does not grant an account",
            policy: sns_to_sqs,
            principal: root(B),
            action: "sqs:SendMessage",
            resource: Q,
            context: &[],
            owner: A,
            want: ImplicitDeny,
        },
        // SQS Developer Guide: grant all permissions to two accounts.
        Case {
            name: "two accounts, root arn",
            policy: two_accounts,
            principal: root(B),
            action: "sqs:PurgeQueue",
            resource: Q,
            context: &[],
            owner: A,
            want: Allow,
        },
        Case {
            name: "two accounts, bare id",
            policy: two_accounts,
            principal: Principal::Aws {
                account: "333333333333",
                arn: "arn:aws:sts::333333333333:assumed-role/any/s",
            },
            action: "sqs:ReceiveMessage",
            resource: Q,
            context: &[],
            owner: A,
            want: Allow,
        },
        Case {
            name: "two accounts, third account refused",
            policy: two_accounts,
            principal: Principal::Aws {
                account: "444444444444",
                arn: "arn:aws:iam::444444444444:root",
            },
            action: "sqs:SendMessage",
            resource: Q,
            context: &[],
            owner: A,
            want: ImplicitDeny,
        },
        Case {
            name: "two accounts, other resource",
            policy: two_accounts,
            principal: root(B),
            action: "sqs:SendMessage",
            resource: "arn:aws:sqs:us-east-1:111111111111:other",
            context: &[],
            owner: A,
            want: ImplicitDeny,
        },
        // IAM: "SQS:" prefix and action names are case-insensitive; Resource wildcards.
        Case {
            name: "upper-case prefix",
            policy: send_only_upper,
            principal: root(B),
            action: "sqs:sendmessage",
            resource: Q,
            context: &[],
            owner: A,
            want: Allow,
        },
        Case {
            name: "action not listed",
            policy: send_only_upper,
            principal: root(B),
            action: "sqs:DeleteMessage",
            resource: Q,
            context: &[],
            owner: A,
            want: ImplicitDeny,
        },
        Case {
            name: "resource wildcard miss",
            policy: send_only_upper,
            principal: root(B),
            action: "sqs:SendMessage",
            resource: "arn:aws:sqs:us-east-1:111111111111:x",
            context: &[],
            owner: A,
            want: ImplicitDeny,
        },
        // IAM: an explicit deny overrides any allow, also within the account.
        Case {
            name: "explicit deny wins",
            policy: deny_overrides,
            principal: root(B),
            action: "sqs:DeleteMessage",
            resource: Q,
            context: &[],
            owner: A,
            want: ExplicitDeny,
        },
        Case {
            name: "allow beside deny",
            policy: deny_overrides,
            principal: root(B),
            action: "sqs:SendMessage",
            resource: Q,
            context: &[],
            owner: A,
            want: Allow,
        },
        // IAM "NotPrincipal" with Deny: everyone but the owner account is denied.
        Case {
            name: "NotPrincipal deny others",
            policy: deny_all_but_owner,
            principal: root(B),
            action: "sqs:SendMessage",
            resource: Q,
            context: &[],
            owner: A,
            want: ExplicitDeny,
        },
        Case {
            name: "NotPrincipal spares the named",
            policy: deny_all_but_owner,
            principal: root(A),
            action: "sqs:SendMessage",
            resource: Q,
            context: &[],
            owner: A,
            want: Allow,
        },
        // IAM: same account needs no allow; an explicit deny still denies.
        Case {
            name: "same account, no statement",
            policy: r#"{"Statement":[]}"#,
            principal: root(A),
            action: "sqs:PurgeQueue",
            resource: Q,
            context: &[],
            owner: A,
            want: Allow,
        },
        Case {
            name: "cross account, no statement",
            policy: r#"{"Statement":[]}"#,
            principal: root(B),
            action: "sqs:SendMessage",
            resource: Q,
            context: &[],
            owner: A,
            want: ImplicitDeny,
        },
        Case {
            name: "service, no statement",
            policy: r#"{"Statement":[]}"#,
            principal: Principal::Service("sns.amazonaws.com"),
            action: "sqs:SendMessage",
            resource: Q,
            context: &[],
            owner: A,
            want: ImplicitDeny,
        },
        // IAM "NotAction".
        Case {
            name: "NotAction allows others",
            policy: not_action,
            principal: root(B),
            action: "sqs:ReceiveMessage",
            resource: Q,
            context: &[],
            owner: A,
            want: Allow,
        },
        Case {
            name: "NotAction excludes listed",
            policy: not_action,
            principal: root(B),
            action: "sqs:PurgeQueue",
            resource: Q,
            context: &[],
            owner: A,
            want: ImplicitDeny,
        },
        // IAM "NotResource".
        Case {
            name: "NotResource allows others",
            policy: not_resource,
            principal: root(B),
            action: "sqs:SendMessage",
            resource: Q,
            context: &[],
            owner: A,
            want: Allow,
        },
        Case {
            name: "NotResource excludes listed",
            policy: not_resource,
            principal: root(B),
            action: "sqs:SendMessage",
            resource: "arn:aws:sqs:us-east-1:111111111111:secret-1",
            context: &[],
            owner: A,
            want: ImplicitDeny,
        },
        // SQS Developer Guide: grant cross-account permissions to a role; an assumed-role
        // session matches its role (path ignored), the account root does not.
        Case {
            name: "role session matches role",
            policy: role,
            principal: Principal::Aws {
                account: B,
                arn: "arn:aws:sts::222222222222:assumed-role/Worker/session-1",
            },
            action: "sqs:ReceiveMessage",
            resource: Q,
            context: &[],
            owner: A,
            want: Allow,
        },
        Case {
            name: "other role refused",
            policy: role,
            principal: Principal::Aws {
                account: B,
                arn: "arn:aws:sts::222222222222:assumed-role/Other/session-1",
            },
            action: "sqs:ReceiveMessage",
            resource: Q,
            context: &[],
            owner: A,
            want: ImplicitDeny,
        },
        Case {
            name: "account root is not the role",
            policy: role,
            principal: root(B),
            action: "sqs:ReceiveMessage",
            resource: Q,
            context: &[],
            owner: A,
            want: ImplicitDeny,
        },
        // EventBridge: manage rules on another account's bus, only its own rules
        // (events:creatorAccount = ${aws:PrincipalAccount}; StringEqualsIfExists).
        Case {
            name: "eventbridge creator account, new rule",
            policy: events_creator,
            principal: root(B),
            action: "events:PutRule",
            resource: "arn:aws:events:us-east-1:111111111111:rule/central-event-bus/r",
            context: &[("events:creatorAccount", B)],
            owner: A,
            want: Allow,
        },
        Case {
            name: "eventbridge creator account, someone else's rule",
            policy: events_creator,
            principal: root(B),
            action: "events:DeleteRule",
            resource: "arn:aws:events:us-east-1:111111111111:rule/central-event-bus/r",
            context: &[("events:creatorAccount", A)],
            owner: A,
            want: ImplicitDeny,
        },
        Case {
            name: "eventbridge IfExists, key absent",
            policy: events_creator,
            principal: root(B),
            action: "events:DescribeRule",
            resource: "arn:aws:events:us-east-1:111111111111:rule/central-event-bus/r",
            context: &[],
            owner: A,
            want: Allow,
        },
        Case {
            name: "eventbridge other bus",
            policy: events_creator,
            principal: root(B),
            action: "events:PutRule",
            resource: "arn:aws:events:us-east-1:111111111111:rule/default/r",
            context: &[("events:creatorAccount", B)],
            owner: A,
            want: ImplicitDeny,
        },
        // EventBridge -> SQS with "*" and ArnLike on the rule; values are ORed.
        Case {
            name: "ArnLike values ORed",
            policy: events_to_sqs_star,
            principal: Principal::Service("events.amazonaws.com"),
            action: "sqs:SendMessage",
            resource: Q,
            context: &[(
                "aws:SourceArn",
                "arn:aws:events:us-east-1:111111111111:rule/other/r",
            )],
            owner: A,
            want: Allow,
        },
        Case {
            name: "ArnLike does not cross accounts",
            policy: events_to_sqs_star,
            principal: Principal::Service("events.amazonaws.com"),
            action: "sqs:SendMessage",
            resource: Q,
            context: &[(
                "aws:SourceArn",
                "arn:aws:events:us-east-1:999999999999:rule/r",
            )],
            owner: A,
            want: ImplicitDeny,
        },
        // Condition operators: keys ANDed.
        Case {
            name: "keys ANDed, both hold",
            policy: and_keys,
            principal: Principal::Service("events.amazonaws.com"),
            action: "sns:Publish",
            resource: T,
            context: &[
                ("aws:SourceAccount", A),
                (
                    "aws:SourceArn",
                    "arn:aws:events:us-east-1:111111111111:rule/keep",
                ),
            ],
            owner: A,
            want: Allow,
        },
        Case {
            name: "keys ANDed, one fails",
            policy: and_keys,
            principal: Principal::Service("events.amazonaws.com"),
            action: "sns:Publish",
            resource: T,
            context: rule_src,
            owner: A,
            want: ImplicitDeny,
        },
        // Null: deny direct sends (no aws:SourceArn), let the service through.
        Case {
            name: "Null true denies direct",
            policy: null_cond,
            principal: root(A),
            action: "sqs:SendMessage",
            resource: Q,
            context: &[],
            owner: A,
            want: ExplicitDeny,
        },
        Case {
            name: "Null true spares service",
            policy: null_cond,
            principal: Principal::Service("sns.amazonaws.com"),
            action: "sqs:SendMessage",
            resource: Q,
            context: &[("aws:SourceArn", T)],
            owner: A,
            want: ImplicitDeny,
        },
        // Organizations are not emulated: aws:PrincipalOrgID conditions hold.
        Case {
            name: "PrincipalOrgID ignored",
            policy: org,
            principal: root(B),
            action: "events:PutEvents",
            resource: "arn:aws:events:us-east-1:111111111111:event-bus/default",
            context: &[],
            owner: A,
            want: Allow,
        },
        // The common "deny insecure transport" guard does not deny the emulator's HTTP.
        Case {
            name: "SecureTransport is true",
            policy: secure,
            principal: root(A),
            action: "sqs:SendMessage",
            resource: Q,
            context: &[],
            owner: A,
            want: Allow,
        },
        // Negated operators: none of the values may match.
        Case {
            name: "StringNotEquals, listed",
            policy: not_equals,
            principal: root(A),
            action: "sqs:SendMessage",
            resource: Q,
            context: &[],
            owner: A,
            want: Allow,
        },
        Case {
            name: "StringNotEquals, unlisted",
            policy: not_equals,
            principal: root(B),
            action: "sqs:SendMessage",
            resource: Q,
            context: &[],
            owner: A,
            want: ExplicitDeny,
        },
        // Numeric and date operators; a missing key does not satisfy a positive operator.
        Case {
            name: "numeric and date hold",
            policy: numeric,
            principal: root(B),
            action: "sqs:SendMessage",
            resource: Q,
            context: &[
                ("sqs:delay", "5"),
                ("aws:CurrentTime", "2026-12-04T22:00:00Z"),
            ],
            owner: A,
            want: Allow,
        },
        Case {
            name: "numeric fails",
            policy: numeric,
            principal: root(B),
            action: "sqs:SendMessage",
            resource: Q,
            context: &[
                ("sqs:delay", "11"),
                ("aws:CurrentTime", "2026-12-04T22:00:00Z"),
            ],
            owner: A,
            want: ImplicitDeny,
        },
        Case {
            name: "missing key fails positive operator",
            policy: numeric,
            principal: root(B),
            action: "sqs:SendMessage",
            resource: Q,
            context: &[],
            owner: A,
            want: ImplicitDeny,
        },
    ]
}

#[test]
fn case_table() {
    let mut failures = Vec::new();
    for c in cases() {
        let policy = Policy::parse(c.policy).unwrap_or_else(|e| panic!("{}: {e}", c.name));
        let req = Request {
            principal: c.principal,
            action: c.action,
            resource: c.resource,
            context: c.context,
        };
        let got = authorize(Some(&policy), c.owner, &req);
        if got != c.want {
            failures.push(format!("{}: want {:?}, got {:?}", c.name, c.want, got));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn no_policy_same_account_only() {
    let req = |p| Request {
        principal: p,
        action: "sqs:SendMessage",
        resource: Q,
        context: &[],
    };
    assert_eq!(authorize(None, A, &req(root(A))), Decision::Allow);
    assert_eq!(authorize(None, A, &req(root(B))), Decision::ImplicitDeny);
    assert_eq!(
        authorize(None, A, &req(Principal::Service("sns.amazonaws.com"))),
        Decision::ImplicitDeny
    );
}

#[test]
fn malformed_documents() {
    assert!(Policy::parse("not json").is_err());
    assert!(Policy::parse(r#"{"Statement":[{"Effect":"Maybe","Action":"*"}]}"#).is_err());
    assert!(Policy::parse(
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","NotAction":"x"}]}"#
    )
    .is_err());
    // Lenient parsing keeps the good statements.
    let p = Policy::parse_lenient(
        r#"{"Statement":[{"Effect":"Maybe"},{"Effect":"Allow","Principal":"*","Action":"sqs:*"}]}"#,
    )
    .unwrap();
    let req = Request {
        principal: root(B),
        action: "sqs:SendMessage",
        resource: Q,
        context: &[],
    };
    assert_eq!(p.evaluate(&req), Decision::Allow);
}

#[test]
fn wildcards() {
    use super::matching::{arn_like, glob};
    assert!(glob("sqs:*", "sqs:sendmessage"));
    assert!(glob("sqs:send?essage", "sqs:sendmessage"));
    assert!(!glob("sqs:send", "sqs:sendmessage"));
    assert!(glob("*a*b*c*", "xxaxxbxxcxx"));
    assert!(!glob("*a*b*c*", "xxaxxcxxbxx"));
    assert!(arn_like("arn:aws:sqs:*:111111111111:*", Q));
    assert!(!arn_like("arn:aws:sqs:*:111111111111", Q));
    assert!(!arn_like("arn:aws:*:111111111111:orders", Q));
    // A long pattern of stars stays fast.
    let text = "a".repeat(2_000);
    assert!(!glob(
        &"*a".repeat(500).to_string().replace("*a*a", "*a*b"),
        &text
    ));
}

#[test]
fn policy_variables() {
    let p = Policy::parse(
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:*","Resource":"*",
        "Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::${aws:PrincipalAccount}:*"}}}]}"#,
    )
    .unwrap();
    let req = Request {
        principal: root(B),
        action: "sqs:SendMessage",
        resource: Q,
        context: &[],
    };
    assert_eq!(p.evaluate(&req), Decision::Allow);
}
