//! `portcast completions SHELL` and `portcast man`: generated from the command line's own
//! definition (clap_complete, clap_mangen), so they never disagree with `--help`. Neither reads
//! the config or the data. The binary hands them the definition (`crate::cli::Cli`).

use std::io::Write;

use clap::ValueEnum;

/// Shells `portcast completions` writes a script for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Elvish,
    Powershell,
}

/// The completion script for `shell`.
pub fn completions(
    mut cmd: clap::Command,
    shell: Shell,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
        Shell::Elvish => clap_complete::Shell::Elvish,
        Shell::Powershell => clap_complete::Shell::PowerShell,
    };
    clap_complete::generate(shell, &mut cmd, "portcast", out);
    Ok(())
}

/// The man page, portcast(1), in roff: the top-level command with every subcommand listed.
pub fn man(cmd: clap::Command, out: &mut dyn Write) -> std::io::Result<()> {
    clap_mangen::Man::new(cmd).render(out)
}
