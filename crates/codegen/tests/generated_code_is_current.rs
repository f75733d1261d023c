//! The checked-in `crates/api/src/<service>.rs` files are exactly what the generator makes from
//! the models today: change the generator or a model, run `cargo run -p ferrybridge-codegen`,
//! and commit both.

#[test]
fn generated_code_is_current() {
    let root = ferrybridge_codegen::workspace_root();
    let mut stale = Vec::new();
    for spec in ferrybridge_codegen::SERVICES {
        let (path, fresh) = ferrybridge_codegen::generate_file(&root, spec).expect("generates");
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        if checked_in != fresh {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "generated code is stale (run `cargo run -p ferrybridge-codegen`): {stale:?}"
    );
}

#[test]
fn member_names_become_snake_case_fields() {
    use ferrybridge_codegen::snake_case;
    assert_eq!(snake_case("AssumeRole"), "assume_role");
    assert_eq!(snake_case("MD5OfMessageBody"), "md5_of_message_body");
    assert_eq!(snake_case("QueueURL"), "queue_url");
    assert_eq!(snake_case("EventBusName"), "event_bus_name");
    assert_eq!(snake_case("SAMLAssertion"), "saml_assertion");
}
