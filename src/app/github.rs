//! `patrol github`: every repository of organisations, users or a list, scanned incrementally
//! through a mirror cache and a datastore ([`crate::source::org`]). The report holds what this
//! run found and what the datastore already knew of the repositories in scope (`--new`: only
//! secrets first seen in this run); verification and revocation results are stored back.
//! `--packages` adds the owners' container packages as a second source.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Context, Result};

use super::pipeline::{Extras, scan_and_report_with};
use crate::cli::GithubArgs;
use crate::datastore::Datastore;
use crate::diagnostics::Stats;
use crate::finding::{Finding, Secret};
use crate::github::mirror::UrlPolicy;
use crate::github::{Client, repos};
use crate::plan::{self, Plan, RepoConfig, Request};
use crate::registry::Registry;
use crate::remediate::Host;
use crate::source::Source;
use crate::source::org::packages::Packages;
use crate::source::org::select::{Filters, Targets};
use crate::source::org::{LogScope, Organisation};

pub fn run(args: GithubArgs) -> Result<i32> {
    let t = &args.targets;
    if t.orgs.is_empty() && t.users.is_empty() && t.repos.is_empty() && t.repos_from.is_none() {
        anyhow::bail!("give --org ORG, --user USER, --repo OWNER/NAME or --repos-from FILE");
    }
    if args.scope.packages && t.orgs.is_empty() && t.users.is_empty() {
        anyhow::bail!("--packages lists the container packages of each --org and --user: give one");
    }
    if args.scope.gists && t.users.is_empty() {
        anyhow::bail!("--gists lists the gists of each --user: give --user USER");
    }
    let mut named = t.repos.clone();
    if let Some(file) = &t.repos_from {
        named.extend(read_repo_list(file)?);
    }
    for name in &named {
        repos::check_name(name)?;
    }
    let token = ["GH_TOKEN", "GITHUB_TOKEN"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|t| !t.trim().is_empty()))
        .context("patrol github needs an API token in GH_TOKEN or GITHUB_TOKEN")?;
    let token = Secret::new(token.trim().as_bytes().to_vec());
    // A scanned repository's own patrol.toml is not read (it could hide its own secrets);
    // --config applies to every repository.
    let plan = plan::lower(Request {
        repo: RepoConfig::none(),
        detect: &args.detect,
        output: &args.output,
        respond: &args.respond,
        content: Some(&args.content),
        archives: None,
    })?;
    let mut client_config = plan.respond.client.clone();
    client_config.max_wait = Duration::from_secs(args.state.max_wait);
    let client = Client::new(client_config)?;
    let cache_dir = match &args.state.cache_dir {
        Some(dir) => dir.clone(),
        None => default_cache_dir()?,
    };
    private_dir(&cache_dir.join("mirrors"))?;
    let db_path = args
        .state
        .datastore
        .clone()
        .unwrap_or_else(|| cache_dir.join("patrol.db"));
    let store = Datastore::open(&db_path)?;
    let run = store.begin_run()?;
    let store = Mutex::new(store);
    let org = Organisation {
        client: &client,
        token: &token,
        store: &store,
        run,
        targets: Targets {
            orgs: t.orgs.clone(),
            users: t.users.clone(),
            repos: named,
        },
        filters: Filters {
            include_forks: args.scope.include_forks,
            include_archived: args.scope.include_archived,
            exclude: args.scope.exclude.clone(),
            shard: args.scope.shard,
            wikis: args.scope.wikis,
            gists: args.scope.gists,
        },
        cache_dir,
        policy: UrlPolicy::for_api(&args.respond.api_url),
        fetch_jobs: args.state.fetch_jobs,
        pull_refs: args.scope.pull_refs,
        full: args.state.full,
        logs: args.scope.logs.then(|| LogScope {
            since: args.scope.since.clone(),
            archives: plan.archive_limits,
        }),
        outcome: Mutex::new(Default::default()),
    };
    let registry = Registry::new(
        Duration::from_secs(args.respond.api_timeout.max(1)),
        args.respond.api_retries,
    )?
    .with_api_token(token.clone());
    let packages = Packages {
        client: &client,
        token: &token,
        store: &store,
        run,
        orgs: t.orgs.clone(),
        users: t.users.clone(),
        filters: org.filters.clone(),
        registry: &registry,
        registry_host: match &args.scope.registry {
            Some(host) => check_registry(host)?,
            None => Host::new(client.web_host()).registry(),
        },
        untagged: args.scope.include_untagged,
        full: args.state.full,
        archives: plan.archive_limits,
        in_scope: Mutex::default(),
    };
    let mut extras = Stored {
        plan: &plan,
        org: &org,
        packages: &packages,
        new_only: args.state.new,
    };
    let mut sources: Vec<&dyn Source> = vec![&org];
    if args.scope.packages {
        sources.push(&packages);
    }
    let reported = scan_and_report_with(&plan, &sources, &mut extras)?;
    store
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .finish_run(run)?;
    Ok(reported.exit_code)
}

/// `--registry HOST[:PORT]`: a host name, not a URL (the scheme is HTTPS, or HTTP to loopback).
fn check_registry(host: &str) -> Result<String> {
    let ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    if !ok {
        anyhow::bail!("--registry {host:?}: give HOST or HOST:PORT (no scheme, no path)");
    }
    Ok(host.to_ascii_lowercase())
}

/// `--repos-from FILE`: one `OWNER/NAME` a line; blank lines and `#` comments skipped.
fn read_repo_list(file: &std::path::Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read --repos-from {}", file.display()))?;
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
}

/// The user cache directory's `patrol/` (XDG_CACHE_HOME, ~/.cache, %LOCALAPPDATA%).
/// Creates `dir` (and its parents) readable by this user only: the mirrors hold the history of
/// private repositories, leaked secrets included. An existing directory is left as it is.
fn private_dir(dir: &std::path::Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("cannot create the cache directory {}", dir.display()))
}

fn default_cache_dir() -> Result<PathBuf> {
    let from = |var: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let base = from("XDG_CACHE_HOME")
        .or_else(|| from("LOCALAPPDATA"))
        .or_else(|| from("HOME").map(|h| h.join(".cache")))
        .context("no cache directory (set XDG_CACHE_HOME or give --cache-dir)")?;
    Ok(base.join("patrol"))
}

/// Adds what the datastore knows of the repositories in scope to the report, stores the
/// responses, and applies `--new`.
struct Stored<'a> {
    plan: &'a Plan,
    org: &'a Organisation<'a>,
    packages: &'a Packages<'a>,
    new_only: bool,
}

impl Extras for Stored<'_> {
    fn streams(&self) -> bool {
        !self.new_only
    }

    fn before_report(
        &mut self,
        findings: &mut Vec<Finding>,
        stats: &mut Stats,
    ) -> Result<Vec<Finding>> {
        let outcome = self.org.outcome.lock().unwrap_or_else(|e| e.into_inner());
        stats.repositories = Some(outcome.stats.clone());
        let mut store = self.org.store.lock().unwrap_or_else(|e| e.into_inner());
        store.record_responses(findings)?;
        let max = self.plan.output.max_locations;
        let mut in_scope = outcome.in_scope.clone();
        in_scope.extend(
            (self
                .packages
                .in_scope
                .lock()
                .unwrap_or_else(|e| e.into_inner()))
            .iter()
            .cloned(),
        );
        let stored = store.stored(Some(&in_scope), max)?;
        let mut first_run: HashMap<String, i64> = HashMap::new();
        let mut earlier = Vec::new();
        let index: HashMap<String, usize> = findings
            .iter()
            .enumerate()
            .map(|(i, f)| (f.fingerprint.clone(), i))
            .collect();
        for s in stored {
            first_run.insert(s.finding.fingerprint.clone(), s.first_run);
            match index.get(&s.finding.fingerprint).map(|&i| &mut findings[i]) {
                // Found again: the locations of earlier runs join this run's.
                Some(f) => {
                    f.location_count = f.location_count.max(s.finding.location_count);
                    f.locations.extend(s.finding.locations);
                    f.locations.sort();
                    f.locations.dedup();
                    f.locations.truncate(max);
                }
                None => earlier.push(s.finding),
            }
        }
        earlier.retain(|f| f.confidence >= self.plan.min_confidence);
        let (mut earlier, _) = self.plan.suppressor.apply(earlier);
        if self.new_only {
            let run = self.org.run;
            findings.retain(|f| first_run.get(&f.fingerprint).is_none_or(|r| *r == run));
            earlier.retain(|f| first_run.get(&f.fingerprint) == Some(&run));
        }
        Ok(earlier)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registry_is_a_host_not_a_url() {
        assert_eq!(check_registry("127.0.0.1:5000").unwrap(), "127.0.0.1:5000");
        assert!(check_registry("https://ghcr.io").is_err());
        assert!(check_registry("ghcr.io/acme").is_err());
    }
}
