use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::clock::ManualClock;

const START: u64 = 1_700_000_000_000;

fn engine(capacity: usize) -> (Arc<ManualClock>, StsEngine) {
    let clock = Arc::new(ManualClock::new(START));
    (clock.clone(), StsEngine::with_capacity(clock, capacity))
}

#[test]
fn long_term_keys_are_root_of_their_account_or_the_default() {
    let (_, sts) = engine(10);
    let id = sts.identity("111122223333", "000000000000");
    assert_eq!(id, Identity::root("111122223333"));
    assert_eq!(id.arn, "arn:aws:iam::111122223333:root");
    assert_eq!(id.user_id, "111122223333");
    assert_eq!(
        sts.identity("test", "000000000000").account_id,
        "000000000000"
    );
    assert_eq!(
        sts.identity("AKIA1234567890", "999999999999").account_id,
        "999999999999"
    );
    assert_eq!(
        sts.identity("11112222333", "000000000000").account_id,
        "000000000000"
    );
}

#[test]
fn issued_keys_act_as_their_identity_until_they_expire() {
    let (clock, sts) = engine(10);
    let role = Identity::assumed_role(
        "222233334444",
        "arn:aws:iam::222233334444:role/path/deployer",
        "deployer",
        "ci",
    );
    let creds = sts.issue(role.clone(), 900, 0);
    assert!(creds.access_key_id.starts_with("ASIA"));
    assert_eq!(creds.access_key_id.len(), 20);
    assert_eq!(creds.secret_access_key.len(), 40);
    assert_eq!(creds.expiration_ms, START + 900_000);
    assert_eq!(sts.identity(&creds.access_key_id, "000000000000"), role);
    assert_eq!(
        role.arn,
        "arn:aws:sts::222233334444:assumed-role/deployer/ci"
    );
    assert!(role.user_id.starts_with("AROA") && role.user_id.ends_with(":ci"));
    assert_eq!(role.user_id.len(), "AROA".len() + 17 + ":ci".len());

    clock.advance(Duration::from_secs(899));
    assert_eq!(sts.identity(&creds.access_key_id, "000000000000"), role);
    clock.advance(Duration::from_secs(1));
    assert_eq!(
        sts.identity(&creds.access_key_id, "000000000000"),
        Identity::root("000000000000")
    );
    let issued = sts
        .issued(&creds.access_key_id)
        .expect("remembered once expired");
    assert!(issued.expired);
    assert_eq!(issued.secret_access_key, creds.secret_access_key);
    assert_eq!(issued.session_token, creds.session_token);
    assert_eq!(sts.len(), 1, "expired entries stay until the store fills");
}

#[test]
fn role_ids_are_stable_per_role() {
    assert_eq!(
        role_id("arn:aws:iam::1:role/a"),
        role_id("arn:aws:iam::1:role/a")
    );
    assert_ne!(
        role_id("arn:aws:iam::1:role/a"),
        role_id("arn:aws:iam::1:role/b")
    );
}

#[test]
fn the_store_is_bounded_expired_first_then_soonest_expiring() {
    let (clock, sts) = engine(2);
    let a = sts.issue(Identity::federated_user("111111111111", "a"), 900, 0);
    let b = sts.issue(Identity::federated_user("111111111111", "b"), 3600, 0);
    let c = sts.issue(Identity::federated_user("111111111111", "c"), 3600, 0);
    assert_eq!(sts.len(), 2);
    assert_eq!(
        sts.identity(&a.access_key_id, "0").account_id,
        "0",
        "a expired soonest"
    );
    assert_eq!(
        sts.identity(&b.access_key_id, "0").account_id,
        "111111111111"
    );
    clock.advance(Duration::from_secs(3600));
    let d = sts.issue(Identity::federated_user("111111111111", "d"), 60, 0);
    assert_eq!(sts.len(), 1, "b and c expired and were dropped");
    assert_eq!(sts.identity(&c.access_key_id, "0").account_id, "0");
    assert_eq!(
        sts.identity(&d.access_key_id, "0").arn,
        "arn:aws:sts::111111111111:federated-user/d"
    );
}

#[test]
fn session_tokens_honour_a_minimum_size() {
    let (_, sts) = engine(10);
    let plain = sts.issue(Identity::root("1"), 900, 0).session_token.len();
    assert!(plain > 300);
    let padded = sts.issue(Identity::root("1"), 900, 2000).session_token;
    assert_eq!(padded.len(), 2000);
    assert_eq!(
        sts.issue(Identity::root("1"), 900, 100).session_token.len(),
        plain
    );
}

#[test]
fn reset_forgets_issued_keys_of_an_account_or_all() {
    let (_, sts) = engine(10);
    let a = sts.issue(Identity::federated_user("111111111111", "a"), 900, 0);
    let b = sts.issue(Identity::federated_user("222222222222", "b"), 900, 0);
    sts.reset(Some("111111111111"));
    assert_eq!(sts.identity(&a.access_key_id, "0").account_id, "0");
    assert_eq!(
        sts.identity(&b.access_key_id, "0").account_id,
        "222222222222"
    );
    sts.reset(None);
    assert!(sts.is_empty());
}
