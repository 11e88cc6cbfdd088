//! An organisation's repositories as one source (`patrol github`): [`select`] lists and filters
//! them; fetch workers (`--fetch-jobs`) bring each bare mirror up to date in the cache while
//! the scanning thread reads the mirrors in order, each with the history scanner (only the
//! commits the datastore's tips do not reach) and, with `--logs`, its Actions run logs (only
//! runs newer than the last one scanned). Each repository's findings and new tips are committed
//! to the datastore as soon as it is done, so a crash loses nothing already recorded; a
//! repository whose `pushed_at` did not move is not fetched at all, one whose tips did not move
//! is not scanned. A repository that cannot be listed, fetched or read completely is a problem
//! naming it, keeps its old tips (the next run reads it again), and the run goes on. With
//! `--packages`, the owners' container packages are a second source ([`packages`]).

pub mod packages;
pub mod select;

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::sync::mpsc::sync_channel;

use git2::Oid;

use crate::datastore::{Datastore, RepoState};
use crate::diagnostics::RepositoryStats;
use crate::finding::Secret;
use crate::github::Client;
use crate::github::actions::RunFilter;
use crate::github::mirror::{self, Fetched, MirrorError, UrlPolicy};
use crate::github::repos::{ListStats, Lister};
use crate::scan::Scanner;
use crate::source::archive::{Archives, Limits};
use crate::source::git::{GitOptions, scan_history};
use crate::source::{Source, SourceError};
use select::{Filters, Job, JobKind, Targets};

/// The key under which a repository's newest scanned Actions run id is kept with its tips.
const NEWEST_RUN: &str = "actions:newest-run";

/// `--logs`: which runs.
#[derive(Debug, Clone)]
pub struct LogScope {
    pub since: Option<String>,
    pub archives: Limits,
}

pub struct Organisation<'a> {
    pub client: &'a Client,
    pub token: &'a Secret,
    pub store: &'a Mutex<Datastore>,
    pub run: i64,
    pub targets: Targets,
    pub filters: Filters,
    pub cache_dir: PathBuf,
    pub policy: UrlPolicy,
    pub fetch_jobs: usize,
    pub pull_refs: bool,
    /// `--full`: the saved state is ignored.
    pub full: bool,
    pub logs: Option<LogScope>,
    /// Filled by the scan: the counts and the repositories in scope.
    pub outcome: Mutex<Outcome>,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub stats: RepositoryStats,
    pub in_scope: HashSet<String>,
}

/// A repository on its way from the fetch workers to the scanning thread.
struct Ready {
    job: Job,
    before: Option<RepoState>,
    /// `None`: not fetched (nothing moved); otherwise the fetch's result.
    fetched: Option<Result<Fetched, MirrorError>>,
}

impl Organisation<'_> {
    fn mirror(&self, job: &Job) -> PathBuf {
        mirror::mirror_path(&self.cache_dir.join("mirrors"), &job.name, "")
    }

    /// Whether a repository can be left unfetched: `pushed_at` is what the last complete scan
    /// saw (pull-request heads can move without it, so not with `--pull-refs`).
    fn unchanged(&self, job: &Job, before: Option<&RepoState>) -> bool {
        !self.pull_refs
            && job.pushed_at.is_some()
            && before.is_some_and(|b| b.pushed_at == job.pushed_at)
    }

    /// Fetches `job`'s mirror, adding the bytes received to `received` as they arrive.
    fn fetch(&self, job: &Job, received: &AtomicU64) -> Result<Fetched, MirrorError> {
        mirror::fetch(
            &self.mirror(job),
            &job.url,
            Some(self.token),
            self.policy,
            &mirror::refspecs(self.pull_refs && job.kind == JobKind::Repository),
            job.default_branch.as_deref(),
            received,
        )
    }

    /// Scans one repository with `scanner` (its own) and records it; returns its findings.
    fn scan_one(&self, scanner: &Scanner, ready: Ready, stats: &mut RepositoryStats) {
        let diag = scanner.diagnostics;
        let Ready {
            job,
            before,
            fetched,
        } = ready;
        let problems_before = diag.problem_count();
        let mut after = before.clone().unwrap_or_default();
        after.pushed_at.clone_from(&job.pushed_at);
        let sub = scanner.for_repository(&job.name);
        match fetched {
            None => stats.skipped += 1,
            Some(Err(e)) if job.kind == JobKind::Wiki => {
                // Most repositories with wikis enabled have no wiki page: no wiki repository.
                diag.note(&format!("{}: no wiki fetched ({e})", job.name));
                return;
            }
            Some(Err(e)) => {
                diag.problem(job.name.clone(), e.to_string());
                stats.failed += 1;
                return;
            }
            Some(Ok(fetched)) => {
                stats.fetched += 1;
                stats.bytes_fetched += fetched.bytes;
                let old_tips = git_tips(before.as_ref());
                let new_tips = git_tips(Some(&RepoState {
                    pushed_at: None,
                    tips: fetched.tips.clone(),
                }));
                after.tips.retain(|name, _| !name.starts_with("refs/"));
                after.tips.extend(fetched.tips);
                if new_tips.is_empty() {
                    diag.problem(job.name.clone(), "empty repository: nothing to scan");
                } else if before.is_some() && old_tips == new_tips {
                    stats.skipped += 1;
                } else {
                    stats.scanned += 1;
                    let options = GitOptions {
                        scanned_tips: old_tips.values().copied().collect(),
                        ..GitOptions::default()
                    };
                    if let Err(e) = scan_history(&sub, &self.mirror(&job), &options) {
                        diag.problem(job.name.clone(), e.to_string());
                    }
                }
            }
        }
        if let (Some(logs), JobKind::Repository) = (&self.logs, job.kind) {
            self.scan_logs(&sub, &job, logs, &mut after);
        }
        let found = sub.finish();
        let complete = diag.problem_count() == problems_before;
        if !complete {
            stats.failed += 1;
        }
        let recorded = self
            .store
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .record_repository(self.run, &job.name, complete.then_some(&after), &found);
        if let Err(e) = recorded {
            diag.problem(job.name.clone(), e.to_string());
        }
        scanner.absorb(found);
    }

    /// The repository's Actions run logs newer than the newest already scanned.
    fn scan_logs(&self, scanner: &Scanner, job: &Job, logs: &LogScope, after: &mut RepoState) {
        let newest = after
            .tips
            .get(NEWEST_RUN)
            .and_then(|v| v.parse::<u64>().ok());
        let filter = RunFilter {
            since: logs.since.clone(),
            newer_than: newest,
            ..RunFilter::default()
        };
        let archives = Archives::new(logs.archives, scanner.diagnostics);
        match crate::source::logs::scan_github(
            scanner,
            &archives,
            self.client,
            self.token,
            &job.name,
            &filter,
            logs.archives.max_total,
        ) {
            Ok(runs) => {
                if let Some(max) = runs.iter().map(|r| r.id).chain(newest).max() {
                    after.tips.insert(NEWEST_RUN.into(), max.to_string());
                }
            }
            Err(e) => scanner
                .diagnostics
                .problem(format!("{}: Actions logs", job.name), e.to_string()),
        }
    }
}

/// The commits a state's refs point to (not the other things kept with them).
fn git_tips(state: Option<&RepoState>) -> BTreeMap<String, Oid> {
    state
        .map(|s| {
            s.tips
                .iter()
                .filter(|(name, _)| name.starts_with("refs/"))
                .filter_map(|(name, oid)| Some((name.clone(), Oid::from_str(oid).ok()?)))
                .collect()
        })
        .unwrap_or_default()
}

/// Caps glibc's malloc arenas at two. An organisation run reads one repository after another on
/// several threads for minutes; with glibc's default (eight arenas a core) each thread's freed
/// memory stays in its own arena, fragmented, and the peak grew with the number of repositories
/// read rather than with the largest one. Other allocators (musl) keep their own behaviour.
fn cap_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes an allocator setting; it takes no pointer.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

impl Source for Organisation<'_> {
    fn scan(&self, scanner: &Scanner) -> Result<(), SourceError> {
        cap_malloc_arenas();
        let diag = scanner.diagnostics;
        let mut listing = ListStats::default();
        let lister = Lister {
            client: self.client,
            token: self.token,
            cache: self.store,
        };
        let jobs = select::select(&lister, &self.targets, &self.filters, diag, &mut listing);
        let mut stats = RepositoryStats {
            selected: jobs.len() as u64,
            listing_pages: listing.pages,
            listing_not_modified: listing.not_modified,
            ..RepositoryStats::default()
        };
        let store = |job: &Job| -> Option<RepoState> {
            if self.full {
                return None;
            }
            let s = self.store.lock().unwrap_or_else(|e| e.into_inner());
            s.repository(&job.name).ok().flatten()
        };
        let queue: Mutex<VecDeque<(Job, Option<RepoState>)>> =
            Mutex::new(jobs.iter().map(|j| (j.clone(), store(j))).collect());
        if self.logs.is_none() {
            diag.track_repositories(jobs.len() as u64);
        }
        let workers = self.fetch_jobs.clamp(1, jobs.len().max(1));
        let (send, receive) = sync_channel::<Ready>(workers);
        std::thread::scope(|s| {
            for _ in 0..workers {
                let send = send.clone();
                let queue = &queue;
                s.spawn(move || {
                    loop {
                        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
                        let Some((job, before)) = next else { break };
                        let fetched = (!self.unchanged(&job, before.as_ref()))
                            .then(|| self.fetch(&job, diag.fetched_bytes()));
                        let ready = Ready {
                            job,
                            before,
                            fetched,
                        };
                        if send.send(ready).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(send);
            for ready in receive {
                self.scan_one(scanner, ready, &mut stats);
                if self.logs.is_none() {
                    diag.unit_done();
                }
            }
        });
        let mut outcome = self.outcome.lock().unwrap_or_else(|e| e.into_inner());
        outcome.stats = stats;
        outcome.in_scope = jobs.into_iter().map(|j| j.name).collect();
        Ok(())
    }
}
