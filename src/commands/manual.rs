//! `completions` and `man`: shell completion scripts (clap_complete) and roff man pages
//! (clap_mangen), both generated from the same clap definition as `--help`, so they never drift.
//! They need neither the config nor the store, and run even when either is broken.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;
use clap_complete::Shell;

use super::{CliError, Status};
use crate::cli::Cli;

/// Prints the completion script for `shell` on `out`.
pub fn completions(shell: Shell, out: &mut dyn Write) -> Result<Status, CliError> {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "repodeck", out);
    Ok(Status::Ok)
}

/// Prints the top-level man page on `out`, or with `dir` writes `repodeck.1` and one
/// `repodeck-COMMAND.1` per command (nested ones included) into it.
pub fn man(dir: Option<&Path>, out: &mut dyn Write) -> Result<Status, CliError> {
    let cmd = Cli::command();
    match dir {
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut page)
                .map_err(|e| CliError::Failed(format!("cannot render the man page: {e}")))?;
            out.write_all(&page)
                .map_err(|e| CliError::Failed(format!("cannot write the man page: {e}")))?;
        }
        Some(dir) => {
            clap_mangen::generate_to(cmd, dir).map_err(|e| {
                CliError::Input(format!(
                    "cannot write man pages into {}: {e}; create the directory or pick a writable one",
                    dir.display()
                ))
            })?;
            writeln!(out, "man pages written to {}", dir.display())
                .map_err(|e| CliError::Failed(e.to_string()))?;
        }
    }
    Ok(Status::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shell_gets_a_script_that_names_the_commands() {
        for shell in [
            Shell::Bash,
            Shell::Zsh,
            Shell::Fish,
            Shell::Elvish,
            Shell::PowerShell,
        ] {
            let mut out = Vec::new();
            completions(shell, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            for sub in ["sync", "import", "hook", "serve", "completions"] {
                assert!(text.contains(sub), "{shell:?} script lacks {sub}");
            }
        }
    }

    #[test]
    fn the_man_page_is_roff_with_every_command_and_the_directory_gets_one_page_each() {
        let mut out = Vec::new();
        man(None, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with(".ie") || text.contains(".TH repodeck"),
            "{text:.200}"
        );
        assert!(text.contains("sync") && text.contains("serve"));
        let dir = tempfile::tempdir().unwrap();
        man(Some(dir.path()), &mut Vec::new()).unwrap();
        for page in ["repodeck.1", "repodeck-sync.1", "repodeck-token-set.1"] {
            assert!(dir.path().join(page).is_file(), "{page} missing");
        }
        let missing = dir.path().join("nope/deeper");
        assert!(matches!(
            man(Some(&missing), &mut Vec::new()),
            Err(CliError::Input(m)) if m.contains("nope/deeper")
        ));
    }
}
