//! `--audit-log FILE`: one JSON line appended per verification or revocation — time,
//! fingerprint, kind, redacted secret, action, HTTP status, outcome — and never the secret.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use crate::finding::Secret;
use crate::rules::TokenKind;

pub struct AuditLog {
    file: Mutex<File>,
}

impl AuditLog {
    pub fn open(path: &Path) -> std::io::Result<AuditLog> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(AuditLog {
            file: Mutex::new(file),
        })
    }

    /// Appends one action. Write errors are reported by the caller's next action failing to
    /// log; the action itself is never undone.
    pub fn record(
        &self,
        secret: &Secret,
        kind: TokenKind,
        action: &str,
        http_status: Option<u16>,
        outcome: &str,
    ) -> std::io::Result<()> {
        let line = serde_json::json!({
            "time": crate::time::now_utc(),
            "fingerprint": secret.fingerprint(),
            "kind": kind.as_str(),
            "secret": secret.redacted(),
            "action": action,
            "http_status": http_status,
            "outcome": outcome,
        });
        let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        writeln!(f, "{line}")?;
        f.flush()
    }
}
