//! Init hooks (`--init-dir`): the executable files of a directory, run in lexical order once
//! the server answers, as LocalStack runs its `ready.d` scripts. Each gets AWS_ENDPOINT_URL,
//! test credentials and the default region in its environment; a failing script is logged and
//! the next one still runs. Their states are reported at `/_localstack/init` in LocalStack's
//! shape (stages BOOT, START, READY, SHUTDOWN; scripts UNKNOWN, RUNNING, SUCCESSFUL, ERROR).

use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use serde_json::{json, Value};

/// LocalStack's lifecycle stages; ferrybridge runs its hooks at READY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Boot,
    Start,
    Ready,
    Shutdown,
}

impl Stage {
    pub fn parse(name: &str) -> Option<Stage> {
        match name.to_ascii_uppercase().as_str() {
            "BOOT" => Some(Stage::Boot),
            "START" => Some(Stage::Start),
            "READY" => Some(Stage::Ready),
            "SHUTDOWN" => Some(Stage::Shutdown),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Stage::Boot => "BOOT",
            Stage::Start => "START",
            Stage::Ready => "READY",
            Stage::Shutdown => "SHUTDOWN",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScriptState {
    Unknown,
    Running,
    Successful,
    Error,
}

impl ScriptState {
    fn as_str(self) -> &'static str {
        match self {
            ScriptState::Unknown => "UNKNOWN",
            ScriptState::Running => "RUNNING",
            ScriptState::Successful => "SUCCESSFUL",
            ScriptState::Error => "ERROR",
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    ready_completed: bool,
    /// READY scripts: file name and state.
    scripts: Vec<(String, ScriptState)>,
}

/// The init hooks' progress, shared with the admin API.
#[derive(Debug, Default)]
pub struct InitStatus {
    inner: Mutex<Inner>,
}

impl InitStatus {
    pub fn ready_completed(&self) -> bool {
        self.inner.lock().ready_completed
    }

    fn set(&self, index: usize, state: ScriptState) {
        if let Some(entry) = self.inner.lock().scripts.get_mut(index) {
            entry.1 = state;
        }
    }

    /// `GET /_localstack/init` (all stages) or `/_localstack/init/<stage>`.
    pub fn localstack_json(&self, stage: Option<Stage>) -> Value {
        let inner = self.inner.lock();
        let scripts = |wanted: Stage| -> Vec<Value> {
            if wanted != Stage::Ready {
                return Vec::new();
            }
            inner
                .scripts
                .iter()
                .map(|(name, state)| {
                    json!({"stage": "READY", "name": name, "state": state.as_str()})
                })
                .collect()
        };
        let completed = |s: Stage| match s {
            Stage::Boot | Stage::Start => true,
            Stage::Ready => inner.ready_completed,
            Stage::Shutdown => false,
        };
        match stage {
            Some(s) => json!({"completed": completed(s), "scripts": scripts(s)}),
            None => {
                let all = [Stage::Boot, Stage::Start, Stage::Ready, Stage::Shutdown];
                let mut done = serde_json::Map::new();
                for s in all {
                    done.insert(s.as_str().into(), json!(completed(s)));
                }
                json!({"completed": done, "scripts": scripts(Stage::Ready)})
            }
        }
    }
}

/// The executable files of `dir`, sorted by name (lexical order, as LocalStack).
fn scripts_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if !path.is_file() {
            continue;
        }
        if is_executable(&path) {
            files.push(path);
        } else {
            tracing::warn!(script = %path.display(), "init hook is not executable: skipped");
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_path: &Path) -> bool {
    true
}

/// Runs the hooks of `dir` one after another with the emulator at `endpoint`; READY is
/// completed afterwards (also when there is no directory).
/// `admin_token` is given to the hooks as FERRYBRIDGE_ADMIN_TOKEN, so that they can call the
/// admin API.
pub async fn run(
    dir: Option<&Path>,
    endpoint: &str,
    region: &str,
    admin_token: Option<&str>,
    status: &InitStatus,
) {
    let scripts = match dir.map(scripts_in) {
        None => Vec::new(),
        Some(Ok(scripts)) => scripts,
        Some(Err(err)) => {
            tracing::error!(dir = %dir.unwrap_or(Path::new("")).display(), %err, "cannot read the init hook directory");
            Vec::new()
        }
    };
    status.inner.lock().scripts = scripts
        .iter()
        .map(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            (name.unwrap_or_default(), ScriptState::Unknown)
        })
        .collect();
    for (index, script) in scripts.into_iter().enumerate() {
        status.set(index, ScriptState::Running);
        let (endpoint, region) = (endpoint.to_owned(), region.to_owned());
        let token = admin_token.unwrap_or("").to_owned();
        let path = script.clone();
        let output = tokio::task::spawn_blocking(move || {
            std::process::Command::new(&path)
                .env("FERRYBRIDGE_ADMIN_TOKEN", &token)
                .env("AWS_ENDPOINT_URL", &endpoint)
                .env("AWS_ACCESS_KEY_ID", "test")
                .env("AWS_SECRET_ACCESS_KEY", "test")
                .env("AWS_DEFAULT_REGION", &region)
                .env("AWS_REGION", &region)
                .stdin(std::process::Stdio::null())
                .output()
        })
        .await;
        let state = match output {
            Ok(Ok(out)) => {
                let text = String::from_utf8_lossy(&out.stdout);
                let errors = String::from_utf8_lossy(&out.stderr);
                if out.status.success() {
                    tracing::info!(script = %script.display(), output = %text.trim_end(), "init hook done");
                    ScriptState::Successful
                } else {
                    tracing::error!(
                        script = %script.display(),
                        status = %out.status,
                        output = %text.trim_end(),
                        errors = %errors.trim_end(),
                        "init hook failed"
                    );
                    ScriptState::Error
                }
            }
            Ok(Err(err)) => {
                tracing::error!(script = %script.display(), %err, "init hook could not run");
                ScriptState::Error
            }
            Err(err) => {
                tracing::error!(script = %script.display(), %err, "init hook panicked");
                ScriptState::Error
            }
        };
        status.set(index, state);
    }
    status.inner.lock().ready_completed = true;
}
