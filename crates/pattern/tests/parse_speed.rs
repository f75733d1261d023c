//! Time to parse valid patterns (run with `--ignored --nocapture`): the
//! error-location work must not slow down the path every valid rule takes.

use std::time::Instant;

use ferrybridge_pattern::EventPattern;

const PATTERNS: &[&str] = &[
    r#"{"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"], "detail": {"state": ["running", "stopped"]}}"#,
    r#"{"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}], "x": [{"anything-but": {"prefix": "init"}}], "y": [{"wildcard": "a*b*c"}]}}"#,
    r#"{"$or": [{"source": ["a"]}, {"detail": {"ip": [{"cidr": "10.0.0.0/24"}]}}], "resources": [{"prefix": {"equals-ignore-case": "ARN:"}}]}"#,
];

#[test]
#[ignore]
fn time_10k_valid_parses() {
    for round in 0..3 {
        let start = Instant::now();
        for i in 0..10_000 {
            let pattern = EventPattern::parse(PATTERNS[i % PATTERNS.len()]);
            assert!(pattern.is_ok());
        }
        println!("round {round}: 10,000 parses in {:?}", start.elapsed());
    }
}
