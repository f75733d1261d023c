//! `cargo run -p ferrybridge-codegen`: regenerates `crates/api/src/<service>.rs` from the models
//! in `protocol-fixtures/models/` (run from anywhere in the workspace).

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = ferrybridge_codegen::workspace_root();
    for spec in ferrybridge_codegen::SERVICES {
        let (path, source) = match ferrybridge_codegen::generate_file(&root, spec) {
            Ok(generated) => generated,
            Err(e) => {
                eprintln!("ferrybridge-codegen: {e}");
                return ExitCode::FAILURE;
            }
        };
        if let Err(e) = std::fs::write(&path, source) {
            eprintln!("ferrybridge-codegen: writing {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {}", relative(&root, &path));
    }
    ExitCode::SUCCESS
}

fn relative(root: &std::path::Path, path: &std::path::Path) -> String {
    path.strip_prefix(root)
        .map(PathBuf::from)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}
