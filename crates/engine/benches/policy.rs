//! Cost of one resource-policy decision (`ferrybridge_engine::policy::authorize`), the check
//! every cross-account request and every enforced service delivery makes.
//!
//! Cases: a same-account call on a queue whose policy has no Deny (the fast path), a
//! cross-account call against a ten-statement policy whose last statement grants it, and an
//! SNS -> SQS delivery against the usual `sns.amazonaws.com` + `aws:SourceArn` statement.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ferrybridge_engine::policy::{authorize, Decision, Policy, Principal, Request};

const QUEUE: &str = "arn:aws:sqs:us-east-1:111111111111:orders";
const TOPIC: &str = "arn:aws:sns:us-east-1:111111111111:orders-topic";

fn ten_statements() -> Policy {
    let mut statements: Vec<String> = (0..9)
        .map(|i| {
            format!(
                r#"{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::99999999999{i}:root"}},"Action":["sqs:SendMessage","sqs:ReceiveMessage"],"Resource":"{QUEUE}"}}"#
            )
        })
        .collect();
    statements.push(
        r#"{"Effect":"Allow","Principal":"*","Action":"sqs:*","Resource":"arn:aws:sqs:*:111111111111:orders*","Condition":{"StringEquals":{"aws:PrincipalAccount":["222222222222"]}}}"#
            .to_owned(),
    );
    Policy::parse(&format!(r#"{{"Statement":[{}]}}"#, statements.join(","))).expect("policy")
}

fn bench(c: &mut Criterion) {
    let big = ten_statements();
    let sns = Policy::parse(&format!(
        r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"Service":"sns.amazonaws.com"}},"Action":"sqs:SendMessage","Resource":"{QUEUE}","Condition":{{"ArnEquals":{{"aws:SourceArn":"{TOPIC}"}}}}}}]}}"#
    ))
    .expect("policy");
    let mut group = c.benchmark_group("policy");
    group.bench_function("same account, no deny (fast path)", |b| {
        let req = Request {
            principal: Principal::Aws {
                account: "111111111111",
                arn: "arn:aws:iam::111111111111:root",
            },
            action: "sqs:SendMessage",
            resource: QUEUE,
            context: &[],
        };
        b.iter(|| {
            assert_eq!(
                authorize(Some(black_box(&big)), "111111111111", &req),
                Decision::Allow
            )
        })
    });
    group.bench_function("cross account, 10 statements", |b| {
        let req = Request {
            principal: Principal::Aws {
                account: "222222222222",
                arn: "arn:aws:sts::222222222222:assumed-role/app/session",
            },
            action: "sqs:SendMessage",
            resource: QUEUE,
            context: &[],
        };
        b.iter(|| {
            assert_eq!(
                authorize(Some(black_box(&big)), "111111111111", &req),
                Decision::Allow
            )
        })
    });
    group.bench_function("sns delivery, SourceArn condition", |b| {
        let context = [
            ("aws:SourceArn", TOPIC),
            ("aws:SourceAccount", "111111111111"),
        ];
        let req = Request {
            principal: Principal::Service("sns.amazonaws.com"),
            action: "sqs:SendMessage",
            resource: QUEUE,
            context: &context,
        };
        b.iter(|| {
            assert_eq!(
                authorize(Some(black_box(&sns)), "111111111111", &req),
                Decision::Allow
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
