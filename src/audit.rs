//! The journal of what patrol asked GitHub: one entry per verification, re-check, blast radius
//! and revocation — time, fingerprint, kind, redacted secret, action, HTTP status, outcome,
//! and for a blast radius its summary — and never the secret. Kept in memory for the incident
//! record (`patrol incident --record`), and with `--audit-log FILE` appended to FILE as one JSON
//! line each, as it happens.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use serde::Serialize;

use crate::finding::Secret;
use crate::rules::TokenKind;

/// One action, as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub time: String,
    pub fingerprint: String,
    pub kind: &'static str,
    pub secret: String,
    pub action: String,
    pub http_status: Option<u16>,
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
}

pub struct AuditLog {
    file: Option<Mutex<File>>,
    entries: Mutex<Vec<Entry>>,
}

impl AuditLog {
    /// A journal kept in memory only.
    pub fn memory() -> AuditLog {
        AuditLog {
            file: None,
            entries: Mutex::new(Vec::new()),
        }
    }

    /// A journal also appended to `path`.
    pub fn open(path: &Path) -> std::io::Result<AuditLog> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(AuditLog {
            file: Some(Mutex::new(file)),
            entries: Mutex::new(Vec::new()),
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
        self.record_detail(secret, kind, action, http_status, outcome, None)
    }

    /// [`AuditLog::record`] with a detail object (it must hold no secret).
    pub fn record_detail(
        &self,
        secret: &Secret,
        kind: TokenKind,
        action: &str,
        http_status: Option<u16>,
        outcome: &str,
        detail: Option<serde_json::Value>,
    ) -> std::io::Result<()> {
        let entry = Entry {
            time: crate::time::now_utc(),
            fingerprint: secret.fingerprint(),
            kind: kind.as_str(),
            secret: secret.redacted(),
            action: action.to_string(),
            http_status,
            outcome: outcome.to_string(),
            detail,
        };
        let line = serde_json::to_string(&entry).map_err(std::io::Error::other);
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(entry);
        if let Some(file) = &self.file {
            let mut f = file.lock().unwrap_or_else(|e| e.into_inner());
            writeln!(f, "{}", line?)?;
            f.flush()?;
        }
        Ok(())
    }

    /// Every action recorded so far, in order.
    pub fn entries(&self) -> Vec<Entry> {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}
