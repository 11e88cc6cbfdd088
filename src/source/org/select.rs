//! Which repositories an organisation scan reads: the listings of `--org` and `--user`, the
//! named `--repo`s, then the filters (forks and archived repositories left out unless asked,
//! `--exclude` globs, `--shard K/N`), and with them the wikis and gists asked for. A listing or
//! a repository that cannot be read is a problem naming it; the others are still selected. What
//! the API answers is checked before it is used: a name that is not `OWNER/NAME` (it becomes a
//! path under the cache directory) or a clone URL on a host other than the API's (the token
//! would go there) is a problem, and that repository is not fetched.

use std::collections::BTreeMap;

use crate::diagnostics::Diagnostics;
use crate::github::repos::{ListError, ListStats, Lister, Repository, check_name, glob_matches};
use crate::shard::Shard;

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    pub orgs: Vec<String>,
    pub users: Vec<String>,
    /// `--repo` and `--repos-from`.
    pub repos: Vec<String>,
}

/// How to filter and what to add.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub include_forks: bool,
    pub include_archived: bool,
    pub exclude: Vec<String>,
    pub shard: Option<Shard>,
    pub wikis: bool,
    pub gists: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Repository,
    /// A repository's wiki: it may not exist (not a problem when it does not).
    Wiki,
    Gist,
}

/// One git repository to mirror and scan.
#[derive(Debug, Clone)]
pub struct Job {
    /// `OWNER/NAME`, `OWNER/NAME.wiki` or `OWNER/gist-ID`: the datastore's key and the name
    /// locations carry.
    pub name: String,
    pub url: String,
    pub pushed_at: Option<String>,
    pub default_branch: Option<String>,
    pub kind: JobKind,
}

impl Job {
    fn of(repo: &Repository, kind: JobKind) -> Job {
        let (name, url) = match kind {
            JobKind::Wiki => (format!("{}.wiki", repo.full_name), repo.wiki_url()),
            _ => (repo.full_name.clone(), repo.clone_url.clone()),
        };
        Job {
            name,
            url,
            pushed_at: repo.pushed_at.clone(),
            default_branch: repo.default_branch.clone(),
            kind,
        }
    }
}

/// The repositories to scan, in name order, each once.
pub fn select(
    lister: &Lister,
    targets: &Targets,
    filters: &Filters,
    diag: &Diagnostics,
    stats: &mut ListStats,
) -> Vec<Job> {
    let report = |e: ListError, what: &str| diag.problem(what.to_string(), e.to_string());
    // Listed repositories pass the fork and archive filters; named ones are taken as asked.
    let mut chosen: BTreeMap<String, Repository> = BTreeMap::new();
    let mut listed = Vec::new();
    for org in &targets.orgs {
        match lister.org(org, stats) {
            Ok(repos) => listed.extend(repos),
            Err(e) => report(e, &format!("organisation {org}")),
        }
    }
    for user in &targets.users {
        match lister.user(user, stats) {
            Ok(repos) => listed.extend(repos),
            Err(e) => report(e, &format!("user {user}")),
        }
    }
    for repo in listed {
        if (repo.fork && !filters.include_forks) || (repo.archived && !filters.include_archived) {
            continue;
        }
        chosen.insert(repo.full_name.to_ascii_lowercase(), repo);
    }
    for name in &targets.repos {
        let key = name.to_ascii_lowercase();
        if chosen.contains_key(&key) || !wanted(name, filters) {
            continue;
        }
        match lister.repository(name) {
            Ok(repo) => {
                chosen.insert(key, repo);
            }
            Err(e) => report(e, name),
        }
    }
    let git_host = lister.client.web_host();
    let mut jobs = Vec::new();
    for repo in chosen.into_values() {
        if let Err(why) = answered_safely(&repo, &git_host) {
            diag.problem(repo.full_name.clone(), why);
            continue;
        }
        if !wanted(&repo.full_name, filters) {
            continue;
        }
        if repo.disabled {
            diag.problem(
                repo.full_name.clone(),
                "repository disabled by GitHub (its history cannot be fetched)",
            );
            continue;
        }
        jobs.push(Job::of(&repo, JobKind::Repository));
        if filters.wikis && repo.has_wiki {
            jobs.push(Job::of(&repo, JobKind::Wiki));
        }
    }
    if filters.gists {
        for user in &targets.users {
            match lister.gists(user, stats) {
                Ok(gists) => {
                    for g in gists.iter().filter(|g| wanted(&g.full_name, filters)) {
                        match answered_safely(g, &git_host) {
                            Ok(()) => jobs.push(Job::of(g, JobKind::Gist)),
                            Err(why) => diag.problem(g.full_name.clone(), why),
                        }
                    }
                }
                Err(e) => report(e, &format!("gists of {user}")),
            }
        }
    }
    jobs
}

/// What the API said of `repo` can be used: its name is `OWNER/NAME` (it becomes a path under
/// the cache directory) and its clone URL, when it names a host, names the API's git host
/// (`git_host`, as [`crate::github::Client::web_host`] gives it) or one below it
/// (`gist.github.com`): the token is sent to that host.
fn answered_safely(repo: &Repository, git_host: &str) -> Result<(), String> {
    check_name(&repo.full_name).map_err(|e| format!("the API answered {e}: not fetched"))?;
    let bare = |h: &str| {
        let h = h.to_ascii_lowercase();
        match h.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name.to_string(),
            _ => h,
        }
    };
    let Ok(url) = reqwest::Url::parse(&repo.clone_url) else {
        return Err(format!(
            "the API answered an unusable clone URL {:?}: not fetched",
            repo.clone_url
        ));
    };
    let Some(host) = url.host_str() else {
        return Ok(());
    };
    let (host, allowed) = (bare(host), bare(git_host));
    if host == allowed || host.ends_with(&format!(".{allowed}")) {
        Ok(())
    } else {
        Err(format!(
            "the API answered a clone URL on {host}, not {allowed}: not fetched (the token goes \
             only to the configured host)"
        ))
    }
}

/// Not excluded, and in this shard.
pub(super) fn wanted(name: &str, filters: &Filters) -> bool {
    !filters.exclude.iter().any(|g| glob_matches(g, name))
        && filters.shard.is_none_or(|s| s.contains(name))
}
