//! `ferrybridge state import --account ID --region R`: a state document moved into another
//! account and/or region before it is imported.
//!
//! Every resource entry's `accountId` (`region`) becomes the given one, and so does the
//! account (region) in every ARN of the document that names an account of the document: a
//! dead-letter queue, a subscription's queue, a rule target, an archive's bus, a policy's
//! principal `arn:aws:iam::<account>:root`, an API destination's connection, an application
//! endpoint. ARNs of other accounts (a grant to a partner account, a cross-account target)
//! are kept. Message bodies are data and are not touched. Plain account ids outside ARNs
//! (a policy's `"AWS": "123456789012"`) are not rewritten either.

use std::collections::BTreeSet;

use serde_json::Value;

/// The lists of resource entries (`accountId` and `region` members) in a document.
pub(crate) const RESOURCE_LISTS: &[(&str, &str)] = &[
    ("sqs", "queues"),
    ("sns", "topics"),
    ("sns", "platformApplications"),
    ("sns", "smsAttributes"),
    ("events", "buses"),
    ("events", "archives"),
    ("events", "connections"),
    ("events", "apiDestinations"),
];

/// Moves `doc` into `account` and/or `region` (see the module docs). The document must
/// hold one account (one region) to be moved into another one: two would become one.
pub fn rehome(doc: &mut Value, account: Option<&str>, region: Option<&str>) -> Result<(), String> {
    if account.is_none() && region.is_none() {
        return Ok(());
    }
    let mut accounts = BTreeSet::new();
    let mut regions = BTreeSet::new();
    for (part, list) in RESOURCE_LISTS {
        for entry in doc
            .get(*part)
            .and_then(|p| p.get(*list))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(a) = entry.get("accountId").and_then(Value::as_str) {
                accounts.insert(a.to_owned());
            }
            if let Some(r) = entry.get("region").and_then(Value::as_str) {
                regions.insert(r.to_owned());
            }
        }
    }
    if account.is_some() && accounts.len() > 1 {
        return Err(format!(
            "--account: the document holds several accounts ({}); export one with `state export --account`",
            accounts.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    if region.is_some() && regions.len() > 1 {
        return Err(format!(
            "--region: the document holds several regions ({}); export one with `state export --region`",
            regions.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    let from_region = regions.into_iter().next();
    let moves = Moves {
        accounts: &accounts,
        account,
        from_region: from_region.as_deref(),
        region,
    };
    for (part, list) in RESOURCE_LISTS {
        if let Some(items) = doc
            .get_mut(*part)
            .and_then(|p| p.get_mut(*list))
            .and_then(Value::as_array_mut)
        {
            for entry in items {
                if let (Some(a), Some(slot)) = (account, entry.get_mut("accountId")) {
                    *slot = Value::String(a.to_owned());
                }
                if let (Some(r), Some(slot)) = (region, entry.get_mut("region")) {
                    *slot = Value::String(r.to_owned());
                }
            }
        }
    }
    walk(doc, &moves);
    Ok(())
}

/// What moves where.
struct Moves<'a> {
    /// The document's accounts: only their ARNs move.
    accounts: &'a BTreeSet<String>,
    account: Option<&'a str>,
    from_region: Option<&'a str>,
    region: Option<&'a str>,
}

fn walk(v: &mut Value, moves: &Moves) {
    match v {
        Value::String(s) if s.contains("arn:") => *s = rewrite_arns(s, moves),
        Value::Array(items) => items.iter_mut().for_each(|i| walk(i, moves)),
        Value::Object(m) => {
            for (k, item) in m.iter_mut() {
                if k != "messages" {
                    walk(item, moves);
                }
            }
        }
        _ => {}
    }
}

/// `s` with every `arn:<partition>:<service>:<region>:<account>:` of a document account
/// moved.
fn rewrite_arns(s: &str, moves: &Moves) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("arn:") {
        out.push_str(&rest[..at]);
        let candidate = &rest[at..];
        // arn : partition : service : region : account : ...
        let mut fields = candidate.splitn(6, ':');
        let (_, partition, service, region, account) = (
            fields.next(),
            fields.next().unwrap_or_default(),
            fields.next().unwrap_or_default(),
            fields.next().unwrap_or_default(),
            fields.next().unwrap_or_default(),
        );
        let word = |t: &str| t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let is_arn = fields.next().is_some()
            && partition.starts_with("aws")
            && word(partition)
            && !service.is_empty()
            && word(service)
            && word(region)
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit());
        if !is_arn || !moves.accounts.contains(account) {
            out.push_str("arn:");
            rest = &candidate[4..];
            continue;
        }
        let new_region = match (moves.region, moves.from_region) {
            (Some(to), Some(from)) if region == from => to,
            _ => region,
        };
        let new_account = moves.account.unwrap_or(account);
        out.push_str(&format!(
            "arn:{partition}:{service}:{new_region}:{new_account}:"
        ));
        let head = 4 + partition.len() + service.len() + region.len() + account.len() + 4;
        rest = &candidate[head..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn moves_entries_and_the_arns_of_the_documents_account_only() {
        let mut doc = json!({"events": {
            "connections": [{"accountId": "000000000000", "region": "us-east-1", "name": "c",
                             "arn": "arn:aws:events:us-east-1:000000000000:connection/c/1"}],
            "buses": [{"accountId": "000000000000", "region": "us-east-1", "name": "b",
                       "policy": "{\"Principal\":{\"AWS\":\"arn:aws:iam::000000000000:root\"},\"x\":\"arn:aws:iam::999999999999:root\"}",
                       "rules": [{"name": "r", "targets": [{"Id": "1",
                           "Arn": "arn:aws:events:us-east-1:000000000000:api-destination/d/2"}]}]}]},
            "sqs": {"queues": [{"accountId": "000000000000", "region": "us-east-1", "name": "q",
                                "messages": [{"body": "arn:aws:sqs:us-east-1:000000000000:q"}]}]}});
        rehome(&mut doc, Some("111111111111"), Some("eu-west-1")).expect("one account");
        let bus = &doc["events"]["buses"][0];
        assert_eq!(
            (bus["accountId"].as_str(), bus["region"].as_str()),
            (Some("111111111111"), Some("eu-west-1"))
        );
        assert_eq!(
            bus["rules"][0]["targets"][0]["Arn"],
            "arn:aws:events:eu-west-1:111111111111:api-destination/d/2"
        );
        let policy = bus["policy"].as_str().unwrap_or_default();
        assert!(
            policy.contains("arn:aws:iam::111111111111:root"),
            "{policy}"
        );
        assert!(
            policy.contains("arn:aws:iam::999999999999:root"),
            "{policy}"
        );
        assert_eq!(
            doc["events"]["connections"][0]["arn"],
            "arn:aws:events:eu-west-1:111111111111:connection/c/1"
        );
        // Message bodies are data.
        assert_eq!(
            doc["sqs"]["queues"][0]["messages"][0]["body"],
            "arn:aws:sqs:us-east-1:000000000000:q"
        );
    }

    #[test]
    fn a_document_of_two_accounts_cannot_become_one() {
        let mut doc = json!({"sns": {"topics": [
            {"accountId": "000000000000", "region": "us-east-1", "name": "a"},
            {"accountId": "111111111111", "region": "us-east-1", "name": "b"}]}});
        let err = rehome(&mut doc, Some("222222222222"), None).expect_err("two accounts");
        assert!(err.contains("000000000000, 111111111111"), "{err}");
        // Only the region: fine, both accounts keep theirs.
        rehome(&mut doc, None, Some("eu-west-1")).expect("one region");
        assert_eq!(doc["sns"]["topics"][1]["accountId"], "111111111111");
        assert_eq!(doc["sns"]["topics"][1]["region"], "eu-west-1");
    }
}
