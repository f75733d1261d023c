//! `ferrybridge state export|import --data-dir DIR` (offline, on a stopped server's data
//! directory) and `--state-file` (imported at start). The format: see
//! `ferrybridge_engine::sqs::snapshot` and docs/persistence.md.

use std::path::Path;
use std::sync::Arc;

use ferrybridge_engine::clock::SystemClock;
use ferrybridge_engine::sqs::snapshot::{FORMAT, VERSION};
use ferrybridge_engine::sqs::SqsEngine;
use ferrybridge_engine::sts::StsEngine;
use serde_json::{json, Value};

use crate::Config;

fn open(dir: &Path) -> Result<(SqsEngine, Arc<ferrybridge_store::Durable>), String> {
    let mut config = Config::ephemeral();
    config.data_dir = Some(dir.to_path_buf());
    let opened = crate::persistence::open(&config)?.ok_or("no data directory")?;
    let mut sqs = SqsEngine::new(Arc::new(SystemClock));
    let mut sts = StsEngine::new(Arc::new(SystemClock));
    // Restored too: a compaction must not drop what the document does not cover.
    let mut sns = ferrybridge_engine::sns::SnsEngine::new(Arc::new(SystemClock));
    let mut events = ferrybridge_engine::events::EventsEngine::new(Arc::new(SystemClock));
    let journal = opened.attach(&mut sqs, &mut sts, &mut sns, &mut events)?;
    Ok((sqs, journal))
}

/// The state document of a data directory (the server using it must be stopped).
pub fn export(
    dir: &Path,
    account: Option<&str>,
    region: Option<&str>,
    messages: bool,
) -> Result<Value, String> {
    let (sqs, journal) = open(dir)?;
    let doc = json!({
        "format": FORMAT,
        "version": VERSION,
        "sqs": sqs.export(account, region, messages),
    });
    journal.close();
    Ok(doc)
}

/// Imports a state document into a data directory (validated first; nothing is written on
/// error). Returns (queues created, messages sent).
pub fn import(dir: &Path, doc: &Value) -> Result<(usize, usize), String> {
    let (sqs, journal) = open(dir)?;
    let result = sqs.import(doc);
    journal.close();
    result
}

/// Reads and parses a state file.
pub fn read(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}
