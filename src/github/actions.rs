//! GitHub Actions logs: list workflow runs (paginated, 100 a page, filtered), download a run's
//! log archive (`GET …/runs/{id}/logs` answers 302 with a short-lived URL, followed *without*
//! the Authorization header, HTTPS unless loopback), and delete a run's logs.

use super::client::{ApiError, Client, Response, check_url};
use super::download::Download;
use crate::finding::Secret;

#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    /// Only these runs.
    pub runs: Vec<u64>,
    /// Only the N most recent runs.
    pub last: Option<usize>,
    /// Only runs created on or after this date (YYYY-MM-DD).
    pub since: Option<String>,
    pub branch: Option<String>,
    /// Only runs of this workflow file.
    pub workflow: Option<String>,
    /// Only runs with a larger id (newer) than this one: runs already scanned are left out.
    pub newer_than: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct Run {
    pub id: u64,
    pub html_url: String,
    pub name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ActionsError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("{what}: GitHub answered {status} {message}")]
    Status {
        what: String,
        status: u16,
        message: String,
    },
    #[error("run {0}: logs expired or deleted")]
    Expired(u64),
    #[error("run {run}: log archive larger than {limit} bytes (--max-archive-bytes)")]
    TooLarge { run: u64, limit: u64 },
    #[error("OWNER/REPO expected, got {0:?}")]
    BadRepo(String),
    #[error("--workflow expects a workflow file name (ci.yml) or id, got {0:?}")]
    BadWorkflow(String),
}

fn check_repo(repo: &str) -> Result<(), ActionsError> {
    let ok = repo.split('/').count() == 2
        && repo.split('/').all(|p| {
            !p.is_empty()
                && p != "."
                && p != ".."
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        });
    if ok {
        Ok(())
    } else {
        Err(ActionsError::BadRepo(repo.to_string()))
    }
}

/// A workflow is named by its file name (`ci.yml`) or its numeric id: it goes into a URL path.
fn check_workflow(w: &str) -> Result<(), ActionsError> {
    let ok = !w.is_empty()
        && w != "."
        && w != ".."
        && w.len() <= 255
        && w.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ActionsError::BadWorkflow(w.to_string()))
    }
}

fn status_error(what: String, r: &Response) -> ActionsError {
    ActionsError::Status {
        what,
        status: r.status,
        message: r.message(),
    }
}

fn run_of(v: &serde_json::Value) -> Option<Run> {
    Some(Run {
        id: v["id"].as_u64()?,
        html_url: v["html_url"].as_str().unwrap_or_default().to_string(),
        name: v["name"].as_str().unwrap_or_default().to_string(),
    })
}

/// The runs of `repo` that `filter` selects, most recent first.
pub fn list_runs(
    client: &Client,
    token: &Secret,
    repo: &str,
    filter: &RunFilter,
) -> Result<Vec<Run>, ActionsError> {
    check_repo(repo)?;
    if let Some(w) = &filter.workflow {
        check_workflow(w)?;
    }
    if !filter.runs.is_empty() {
        let mut out = Vec::new();
        for id in &filter.runs {
            let r = client.get(&format!("/repos/{repo}/actions/runs/{id}"), Some(token))?;
            if r.status != 200 {
                return Err(status_error(format!("run {id}"), &r));
            }
            out.extend(r.json().as_ref().and_then(run_of));
        }
        return Ok(out);
    }
    let base = match &filter.workflow {
        Some(w) => format!("/repos/{repo}/actions/workflows/{w}/runs"),
        None => format!("/repos/{repo}/actions/runs"),
    };
    let mut query = String::from("per_page=100");
    if let Some(b) = &filter.branch {
        query.push_str(&format!("&branch={}", encode(b)));
    }
    if let Some(d) = &filter.since {
        query.push_str(&format!("&created=%3E%3D{}", encode(d)));
    }
    let mut out = Vec::new();
    for page in 1.. {
        let r = client.get(&format!("{base}?{query}&page={page}"), Some(token))?;
        if r.status != 200 {
            return Err(status_error(format!("listing runs of {repo}"), &r));
        }
        let body = r.json().unwrap_or_default();
        let runs = body["workflow_runs"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let n = runs.len();
        let listed = runs.iter().filter_map(run_of);
        let before = out.len();
        out.extend(listed.filter(|r| filter.newer_than.is_none_or(|id| r.id > id)));
        // Most recent first: a page with an already-scanned run ends the new ones.
        let reached_old = out.len() - before < n && filter.newer_than.is_some();
        let has_next = r.header("link").is_some_and(|l| l.contains("rel=\"next\""));
        if filter.last.is_some_and(|last| out.len() >= last)
            || n < 100 && !has_next
            || n == 0
            || reached_old
        {
            break;
        }
    }
    if let Some(last) = filter.last {
        out.truncate(last);
    }
    Ok(out)
}

/// Percent-encodes a query value.
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Downloads a run's log archive into a temporary file (deleted when closed), stopping at
/// `limit` bytes. The redirect target gets no credentials.
pub fn download_logs(
    client: &Client,
    token: &Secret,
    repo: &str,
    run: u64,
    limit: u64,
) -> Result<std::fs::File, ActionsError> {
    let api = client.url(&format!("/repos/{repo}/actions/runs/{run}/logs"));
    let r = match client.download(&api, Some(token), limit)? {
        Download::Status(r) if matches!(r.status, 301 | 302 | 303 | 307 | 308) => {
            let location = r.header("location").ok_or_else(|| {
                status_error(format!("run {run} logs (redirect without a location)"), &r)
            })?;
            let url = check_url(location)?;
            client.download(url.as_str(), None, limit)?
        }
        other => other,
    };
    match r {
        Download::File(f) => Ok(f),
        Download::TooLarge => Err(ActionsError::TooLarge { run, limit }),
        Download::Status(r) if matches!(r.status, 404 | 410) => Err(ActionsError::Expired(run)),
        Download::Status(r) => Err(status_error(format!("run {run} logs"), &r)),
    }
}

/// Deletes a run's logs; returns GitHub's status (204 when deleted).
pub fn delete_logs(
    client: &Client,
    token: &Secret,
    repo: &str,
    run: u64,
) -> Result<u16, ActionsError> {
    let r = client.delete(
        &format!("/repos/{repo}/actions/runs/{run}/logs"),
        Some(token),
    )?;
    match r.status {
        204 => Ok(204),
        _ => Err(status_error(format!("deleting the logs of run {run}"), &r)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repos_and_query_encoding() {
        assert!(check_repo("acme/app").is_ok());
        assert!(check_repo("acme/app.rs-2_x").is_ok());
        assert!(check_repo("acme").is_err());
        assert!(check_repo("acme/app/x").is_err());
        assert!(check_repo("../x").is_err());
        assert_eq!(encode("feature/a b"), "feature%2Fa%20b");
        assert!(check_workflow("ci.yml").is_ok());
        assert!(check_workflow("12345").is_ok());
        assert!(check_workflow("../../../user").is_err());
        assert!(check_workflow("ci.yml?x=1").is_err());
        assert!(check_workflow("..").is_err());
    }
}
