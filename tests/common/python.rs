//! The Python the tests that call a program nobody here wrote run: `JWKS_GUARD_PYTHON` when set,
//! else the virtual environment `.ci/run` makes under the target directory, else `python3`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What `.ci/run` installs into its virtual environment (`target/python`).
pub const PACKAGES: &str = "openapi-spec-validator==0.9.0 grpcio grpcio-tools";

/// The first Python that imports every module of `modules` (comma-separated, as `import`
/// takes them), or a panic saying how to install them.
pub fn python_with(modules: &str) -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory");
    let venv = target.join("python");
    let candidates = std::env::var_os("JWKS_GUARD_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([venv.join("bin/python3"), PathBuf::from("python3")]);
    for python in candidates {
        let imports = Command::new(&python)
            .args(["-c", &format!("import {modules}")])
            .output()
            .is_ok_and(|output| output.status.success());
        if imports {
            return python;
        }
    }
    panic!(
        "this test needs Python 3 with `import {modules}`: `.ci/run` installs it, or run \
         `python3 -m venv {venv} && {venv}/bin/pip install {PACKAGES}` (on Debian, \
         `apt-get install python3-venv` first), or name an interpreter that has it in \
         JWKS_GUARD_PYTHON",
        venv = venv.display()
    );
}
