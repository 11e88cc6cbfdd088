//! The plan: a command's arguments and the repository configuration, lowered once into one value
//! that every command shares. Rules are loaded, checked against `disabled_rules`, validated and
//! compiled into the [`Matcher`] here and nowhere else; the [`Suppressor`], the archive limits,
//! the respond options and the output settings are decided here too. Commands then only build
//! their sources and hand both to the one scan-and-report step.

mod repo;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use repo::{NamedText, RepoConfig, RepoConfigError};

use crate::cli::{ArchiveArgs, ColorChoice, ContentArgs, DetectArgs, OutputArgs, RespondArgs};
use crate::config::{Config, ConfigError};
use crate::console::Console;
use crate::github::ClientConfig;
use crate::matcher::{Matcher, MatcherOptions};
use crate::report::Format;
use crate::respond::RespondOptions;
use crate::rules::{self, Confidence, Rule, RuleError};
use crate::source::archive::Limits;
use crate::suppress::{SuppressError, Suppressor};

/// Why a plan could not be made. Nothing has been scanned or sent yet.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    RepoConfig(#[from] RepoConfigError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Rules(#[from] RuleError),
    #[error("{config}: key `disabled_rules`: no rule has the id {id:?}")]
    UnknownDisabledRule { config: String, id: String },
    #[error("in {config}")]
    InConfig {
        config: String,
        #[source]
        source: RuleError,
    },
    #[error(transparent)]
    Suppress(#[from] SuppressError),
}

/// Where and how the report is written.
#[derive(Debug, Clone)]
pub struct OutputPlan {
    pub format: Format,
    /// `-o FILE`; standard output when `None`.
    pub path: Option<PathBuf>,
    pub show_secrets: bool,
    /// The exit code when something is found.
    pub exit_code: u8,
    /// Exit 0 rather than 5 after an incomplete scan.
    pub allow_incomplete: bool,
    pub quiet: bool,
    pub color: ColorChoice,
    /// `--max-locations`: locations listed per secret.
    pub max_locations: usize,
}

impl OutputPlan {
    /// The output flags as given.
    pub fn of(args: &OutputArgs) -> OutputPlan {
        OutputPlan {
            format: args.format,
            path: args.output.clone(),
            show_secrets: args.show_secrets,
            exit_code: args.exit_code,
            allow_incomplete: args.allow_incomplete,
            quiet: args.quiet,
            color: args.color,
            max_locations: args.max_locations,
        }
    }
}

/// Everything one run needs, decided before anything is read.
pub struct Plan {
    /// Every rule in use (built-in, `--rules`, `patrol.toml`), minus the disabled ones.
    pub rules: Vec<Rule>,
    pub matcher: Arc<Matcher>,
    pub suppressor: Suppressor,
    /// Gitignore-style path excludes from `patrol.toml` (walks leave these paths out).
    pub config_excludes: Vec<String>,
    pub min_confidence: Confidence,
    pub show_suppressed: bool,
    /// The matcher for inputs that look binary: the exact token rules only by default
    /// ([`Matcher::exact_rules_only`]), every rule with `--binary`
    /// ([`Matcher::every_rule_for_binary`]), `None` with `--no-binary` (binary inputs skipped
    /// and counted).
    pub binary_matcher: Option<Arc<Matcher>>,
    /// `-j N`; one worker per core when `None`.
    pub threads: Option<usize>,
    pub archive_limits: Limits,
    pub respond: RespondOptions,
    pub output: OutputPlan,
    /// Where everything but the report is printed (standard error).
    pub console: Arc<Console>,
}

/// What a command hands to [`lower`]: its argument groups (the ones it has) and the repository
/// configuration that applies.
pub struct Request<'a> {
    pub repo: RepoConfig,
    pub detect: &'a DetectArgs,
    pub output: &'a OutputArgs,
    pub respond: &'a RespondArgs,
    /// `None` for commands without `--binary`/`-j` (binary content scanned with the exact
    /// rules, default workers).
    pub content: Option<&'a ContentArgs>,
    /// `None` for commands that open no archives (default limits).
    pub archives: Option<&'a ArchiveArgs>,
}

/// Lowers a command's arguments and its repository configuration into a [`Plan`].
pub fn lower(mut req: Request) -> Result<Plan, PlanError> {
    if req.detect.no_repo_config {
        req.repo = RepoConfig::none();
    }
    let config = match &req.detect.config {
        Some(path) => Config::load(path)?,
        None => match &req.repo.patrol_toml {
            Some(t) => Config::parse(&t.name, &t.text)?,
            None => Config::default(),
        },
    };
    let all = all_rules(&req.detect.rules, &config)?;
    let warnings = weakening_warnings(&config, &all);
    let rules = drop_disabled(all, &config)?;
    let options = MatcherOptions {
        include_invalid: req.detect.include_invalid,
        extra_placeholders: config
            .placeholders
            .iter()
            .map(|w| w.to_ascii_lowercase().into_bytes())
            .collect(),
    };
    let matcher = Arc::new(Matcher::new(rules.clone(), options.clone())?);
    let binary_matcher = match req.content {
        Some(c) if c.no_binary => None,
        Some(c) if c.binary => Some(Arc::new(Matcher::every_rule_for_binary(
            rules.clone(),
            options,
        )?)),
        _ => Some(Arc::new(Matcher::exact_rules_only(rules.clone(), options)?)),
    };
    let mut suppressor = Suppressor::new(!req.detect.no_inline_allow);
    suppressor.allow(config.allow.iter().cloned());
    suppressor.exclude(&config.exclude)?;
    if let Some(allow) = &req.repo.allow {
        suppressor.allow_text(&allow.name, &allow.text)?;
    }
    if let Some(b) = &req.detect.baseline {
        suppressor.baseline_file(b)?;
    }
    let console = Arc::new(Console::new(req.output.quiet).with_color(req.output.color));
    for w in &warnings {
        console.warning(w);
    }
    Ok(Plan {
        rules,
        matcher,
        suppressor,
        config_excludes: config.exclude.clone(),
        min_confidence: req.detect.min_confidence,
        show_suppressed: req.detect.show_suppressed,
        binary_matcher,
        threads: req.content.and_then(|c| c.threads),
        archive_limits: req.archives.map_or_else(Limits::default, archive_limits),
        respond: respond_options(req.respond),
        output: OutputPlan::of(req.output),
        console,
    })
}

/// The rules a run uses: built-in, the `--rules` files, then the configuration's own rules;
/// every id in `disabled_rules` must name one of them and is left out; the whole set is
/// validated. Used by scans, `patrol rules` and `patrol config check` alike.
pub fn resolve_rules(rule_files: &[PathBuf], config: &Config) -> Result<Vec<Rule>, PlanError> {
    drop_disabled(all_rules(rule_files, config)?, config)
}

/// Built-in rules, the `--rules` files' and the configuration's, before any is disabled.
fn all_rules(rule_files: &[PathBuf], config: &Config) -> Result<Vec<Rule>, PlanError> {
    let mut rules = rules::load(rule_files)?;
    rules.extend(config.rule.iter().cloned());
    Ok(rules)
}

/// What a configuration switches off wholesale: every rule of a kind, or every path. Such a
/// configuration may be a mistake, or a scanned tree hiding its own secrets; either way the
/// user hears of it.
fn weakening_warnings(config: &Config, all: &[Rule]) -> Vec<String> {
    let name = config_name(config);
    let mut kinds: Vec<&str> = all.iter().map(|r| r.kind.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let mut warnings: Vec<String> = kinds
        .into_iter()
        .filter(|kind| {
            all.iter()
                .filter(|r| r.kind == *kind)
                .all(|r| config.disabled_rules.contains(&r.id))
        })
        .map(|kind| {
            format!("{name} disables every rule of kind {kind}: such credentials are not reported")
        })
        .collect();
    if excludes_everything(&config.exclude) {
        warnings.push(format!(
            "{name} excludes every path: nothing found in files is reported"
        ));
    }
    warnings
}

/// Whether the gitignore-style `globs` leave out any path at all (tried on a few unlike paths).
fn excludes_everything(globs: &[String]) -> bool {
    if globs.is_empty() {
        return false;
    }
    let mut b = ignore::gitignore::GitignoreBuilder::new("");
    for g in globs {
        let _ = b.add_line(None, g);
    }
    let Ok(gi) = b.build() else {
        return false;
    };
    ["patrol-probe", "a/b/c.txt", ".hidden/x.env", "src/main.rs"]
        .iter()
        .all(|p| gi.matched_path_or_any_parents(p, false).is_ignore())
}

/// `rules` without the ones `disabled_rules` names (each must name one), validated.
fn drop_disabled(mut rules: Vec<Rule>, config: &Config) -> Result<Vec<Rule>, PlanError> {
    let name = config_name(config);
    if let Some(id) = config
        .disabled_rules
        .iter()
        .find(|id| !rules.iter().any(|r| &r.id == *id))
    {
        return Err(PlanError::UnknownDisabledRule {
            config: name,
            id: id.clone(),
        });
    }
    rules.retain(|r| !config.disabled_rules.contains(&r.id));
    rules::validate(&rules).map_err(|source| PlanError::InConfig {
        config: name,
        source,
    })?;
    Ok(rules)
}

/// Builds the matcher for `rules` and compiles every regex now, so that a bad one is an error
/// before anything is scanned; user rules' examples and counter-examples must hold.
pub fn compile_all(rules: &[Rule]) -> Result<Matcher, PlanError> {
    let matcher = Matcher::new(rules.to_vec(), MatcherOptions::default())?;
    matcher.compile_all()?;
    matcher.check_user_examples()?;
    Ok(matcher)
}

/// The name a configuration's errors are reported under.
pub fn config_name(c: &Config) -> String {
    c.path.as_ref().map_or_else(
        || crate::config::FILE_NAME.to_string(),
        |p: &PathBuf| p.display().to_string(),
    )
}

fn archive_limits(a: &ArchiveArgs) -> Limits {
    Limits {
        max_total: a.max_archive_bytes,
        max_ratio: a.max_archive_ratio.max(1),
        max_depth: a.max_archive_depth.max(1),
    }
}

/// The respond options of `a`; the GitHub client settings also serve `logs --github`.
pub fn respond_options(a: &RespondArgs) -> RespondOptions {
    RespondOptions {
        verify: a.verify,
        only_live: a.only_live,
        revoke: a.revoke,
        yes: a.yes,
        dry_run: a.dry_run,
        steps: a.steps,
        audit_log: a.audit_log.clone(),
        client: ClientConfig {
            api_url: a.api_url.clone(),
            timeout: Duration::from_secs(a.api_timeout.max(1)),
            retries: a.api_retries,
            ..ClientConfig::default()
        },
        interval: Duration::from_millis(a.api_interval),
        blast_radius_limit: a.blast_radius_limit,
        recheck_for: Duration::from_secs(a.recheck_for),
        exit_by_end_state: false,
    }
}

/// Splits command-line paths into "standard input was named (`-`)" and the other paths.
pub fn split_stdin(paths: &[PathBuf]) -> (bool, Vec<PathBuf>) {
    let stdin = paths.iter().any(|p| p.as_os_str() == "-");
    let rest = paths
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .cloned()
        .collect();
    (stdin, rest)
}
