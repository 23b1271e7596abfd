//! The binary's subcommands besides serving: minting a teacher token and
//! backing up a data dir. They print their result on stdout (they are
//! command-line tools, not the server), and errors through the log.

use crate::config::{Command, Config};
use crate::teacher_pass::{is_teacher_id, TeacherPass, MAX_TEACHER_ID_CHARS};

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Key(#[from] crate::auth::KeyError),
    #[error("--sub must be 1 to {MAX_TEACHER_ID_CHARS} characters without control characters")]
    BadTeacherId,
    #[error(transparent)]
    Backup(#[from] crate::backup::BackupError),
}

pub async fn run(config: &Config, command: &Command) -> Result<(), CommandError> {
    match command {
        Command::MintTeacherToken { sub, name, days } => {
            if !is_teacher_id(sub) {
                return Err(CommandError::BadTeacherId);
            }
            let keys = crate::server::keyring(config)?;
            let ttl = std::time::Duration::from_secs(days.saturating_mul(86_400));
            let pass = TeacherPass::new(sub.clone(), name.clone(), ttl);
            write_line(&keys.sign_teacher_pass(&pass));
        }
        Command::Backup { path } => {
            let copied = crate::backup::run(config, path).await?;
            tracing::info!(
                path = %path.display(),
                uploads = copied.uploads,
                signing_key = copied.signing_key,
                "backup written"
            );
        }
    }
    Ok(())
}

fn write_line(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
}
