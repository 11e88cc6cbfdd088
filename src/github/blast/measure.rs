//! Reading a blast radius from the API: one [`Measure`] per live token, a request budget, and
//! counts kept page by page.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    BlastRadius, Installation, NAMED, Organization, Owner, Repositories, Repository, Severity,
    severity,
};
use crate::finding::Secret;
use crate::github::client::Response;
use crate::github::verify::{Forbidden, Probe, Verifier, forbidden};
use crate::kind::TokenKind;

/// The longest text kept from a server's answer (names), in characters.
const MAX_TEXT: usize = 200;

/// Measures the blast radius of a token `verifier` just found live, from `answer` (the
/// verification's response) and at most `limit` more requests.
pub fn measure(
    verifier: &mut Verifier,
    secret: &Secret,
    kind: TokenKind,
    answer: &Response,
    limit: u32,
) -> BlastRadius {
    let mut m = Measure {
        verifier,
        secret,
        limit,
        radius: BlastRadius {
            severity: Severity::Unknown,
            owner: None,
            scopes: None,
            resource_owner: None,
            expires: answer
                .header("github-authentication-token-expiration")
                .map(|e| clean(e, secret)),
            organizations: Vec::new(),
            repositories: Repositories::default(),
            installation: None,
            requests: 0,
            notes: Vec::new(),
        },
        sso_ids: BTreeSet::new(),
        owners: BTreeSet::new(),
        pages_read: 0,
    };
    let body = answer.json().unwrap_or_default();
    // Scopes limit what the account's roles give a classic or OAuth token.
    let scoped = !matches!(
        kind,
        TokenKind::FineGrainedPat | TokenKind::UserToServer | TokenKind::Installation
    );
    let scopes: Option<Vec<String>> = answer.header("x-oauth-scopes").filter(|_| scoped).map(|s| {
        s.split(',')
            .map(|x| clean(x.trim(), secret))
            .filter(|x| !x.is_empty())
            .collect()
    });
    m.radius.scopes = scopes.clone();
    if body["repositories"].is_array() {
        m.installation(answer, &body);
    } else {
        if let Some(login) = body["login"].as_str() {
            m.radius.owner = Some(Owner {
                login: clean(login, secret),
                account_type: body["type"].as_str().map(|t| clean(t, secret)),
            });
        }
        if answer.status == 403
            && let Forbidden::Sso(org) = forbidden(answer)
        {
            m.sso_refused(org);
        }
        m.organizations();
        m.user_repositories(scopes.as_deref());
        if kind == TokenKind::FineGrainedPat && m.owners.len() == 1 {
            m.radius.resource_owner = m.owners.iter().next().cloned();
        }
    }
    m.finish()
}

struct Measure<'v, 'a, 's> {
    verifier: &'v mut Verifier<'a>,
    secret: &'s Secret,
    limit: u32,
    radius: BlastRadius,
    /// Organisations (by id) whose SAML SSO left them out of a listing.
    sso_ids: BTreeSet<u64>,
    /// Distinct owners of the repositories listed (two are enough to know it is not one).
    owners: BTreeSet<String>,
    pages_read: u32,
}

impl Measure<'_, '_, '_> {
    /// One request within the limit; `None` (with a note) when it was not answered 200.
    fn get(&mut self, path: &str, what: &str) -> Option<Response> {
        if self.radius.requests >= self.limit {
            self.note(format!("{what}: not read, --blast-radius-limit reached"));
            return None;
        }
        self.radius.requests += 1;
        let r = match self.verifier.get(self.secret, path) {
            Probe::Answered(r) => r,
            Probe::Failed(e) => {
                self.note(format!("{what}: {e}"));
                return None;
            }
            Probe::LockedOut => {
                self.note(format!(
                    "{what}: not read, GitHub is refusing authentication from this address"
                ));
                return None;
            }
        };
        self.partial_results(&r);
        match (r.status, forbidden(&r)) {
            (200, _) => return Some(r),
            (403, Forbidden::Sso(org)) => self.sso_refused(org),
            (403, Forbidden::Lockout) => self.note(format!(
                "{what}: GitHub answered 403 ({}) and is refusing authentication from this address",
                clean(&r.message(), self.secret)
            )),
            (s, _) => self.note(
                format!(
                    "{what}: GitHub answered {s} {}",
                    clean(&r.message(), self.secret)
                )
                .trim_end()
                .to_string(),
            ),
        }
        None
    }

    fn note(&mut self, note: String) {
        self.radius.notes.push(note);
    }

    /// `X-GitHub-SSO: partial-results; organizations=ID,…` on a listing.
    fn partial_results(&mut self, r: &Response) {
        let Some(h) = r.header("x-github-sso") else {
            return;
        };
        let ids = h
            .split(';')
            .find_map(|p| p.trim().strip_prefix("organizations="));
        for id in ids.into_iter().flat_map(|l| l.split(',')) {
            if let Ok(id) = id.trim().parse::<u64>() {
                self.sso_ids.insert(id);
            }
        }
    }

    fn sso_refused(&mut self, org: Option<String>) {
        let login = org.map(|o| clean(&o, self.secret));
        let known = self
            .radius
            .organizations
            .iter_mut()
            .find(|o| login.is_some() && o.login == login);
        match known {
            Some(o) => o.access = "sso-not-authorized".into(),
            None => self.radius.organizations.push(Organization {
                login,
                id: None,
                access: "sso-not-authorized".into(),
            }),
        }
    }

    fn organizations(&mut self) {
        let Some(r) = self.get("/user/orgs?per_page=100", "organisations") else {
            return;
        };
        let body = r.json().unwrap_or_default();
        for org in body.as_array().into_iter().flatten() {
            let login = org["login"].as_str().map(|l| clean(l, self.secret));
            if self
                .radius
                .organizations
                .iter()
                .any(|o| login.is_some() && o.login == login)
            {
                continue;
            }
            self.radius.organizations.push(Organization {
                login,
                id: org["id"].as_u64(),
                access: "reached".into(),
            });
        }
        if r.header("link").is_some_and(|l| l.contains("rel=\"next\"")) {
            self.note("organisations: only the first 100 are listed".into());
        }
    }

    fn user_repositories(&mut self, scopes: Option<&[String]>) {
        let mut page = 1u64;
        loop {
            let path = format!(
                "/user/repos?per_page=100&affiliation=owner,collaborator,organization_member&page={page}"
            );
            let Some(r) = self.get(&path, "repositories") else {
                break;
            };
            self.pages_read += 1;
            let body = r.json().unwrap_or_default();
            for repo in body.as_array().into_iter().flatten() {
                self.count(repo, scopes);
            }
            if !has_next(&r) {
                self.radius.repositories.complete = true;
                return;
            }
            self.radius.repositories.at_most = last_page(&r).map(|p| p * 100);
            page += 1;
        }
    }

    fn installation(&mut self, first: &Response, body: &serde_json::Value) {
        self.radius.installation = Some(Installation {
            repository_selection: body["repository_selection"]
                .as_str()
                .map(|s| clean(s, self.secret)),
            total_count: body["total_count"].as_u64(),
            permissions: BTreeMap::new(),
        });
        self.radius.repositories.at_most = body["total_count"].as_u64();
        let mut page_body = body.clone();
        let mut next = has_next(first);
        let mut page = 1u64;
        loop {
            self.pages_read += 1;
            for repo in page_body["repositories"].as_array().into_iter().flatten() {
                if self.radius.owner.is_none() {
                    self.radius.owner = repo["owner"]["login"].as_str().map(|l| Owner {
                        login: clean(l, self.secret),
                        account_type: repo["owner"]["type"]
                            .as_str()
                            .map(|t| clean(t, self.secret)),
                    });
                }
                if let (Some(perms), Some(inst)) = (
                    repo["permissions"].as_object(),
                    &mut self.radius.installation,
                ) {
                    for (name, granted) in perms {
                        if granted.as_bool() == Some(true) {
                            *inst
                                .permissions
                                .entry(clean(name, self.secret))
                                .or_default() += 1;
                        }
                    }
                }
                self.count(repo, None);
            }
            if !next {
                self.radius.repositories.complete = true;
                return;
            }
            page += 1;
            let path = format!("/installation/repositories?per_page=100&page={page}");
            let Some(r) = self.get(&path, "installation repositories") else {
                return;
            };
            next = has_next(&r);
            page_body = r.json().unwrap_or_default();
        }
    }

    /// Counts one repository object; `scopes` (classic and OAuth) cap what its role gives.
    fn count(&mut self, repo: &serde_json::Value, scopes: Option<&[String]>) {
        let private = repo["private"].as_bool().unwrap_or(false);
        let p = &repo["permissions"];
        let has = |s: &str| scopes.is_none_or(|sc| sc.iter().any(|x| x == s));
        let writes = if private {
            has("repo")
        } else {
            has("repo") || has("public_repo")
        };
        let admin = p["admin"].as_bool() == Some(true) && writes;
        let push = admin || (p["push"].as_bool() == Some(true) && writes);
        let r = &mut self.radius.repositories;
        r.readable += 1;
        r.private += u64::from(private);
        r.pushable += u64::from(push);
        r.admin += u64::from(admin);
        if self.owners.len() < 2
            && let Some(owner) = repo["owner"]["login"].as_str()
        {
            self.owners.insert(clean(owner, self.secret));
        }
        let access = if admin {
            "admin"
        } else if push {
            "push"
        } else {
            "read"
        };
        if let Some(name) = repo["full_name"].as_str() {
            let candidate = Repository {
                name: clean(name, self.secret),
                access: access.into(),
                private,
            };
            let named = &mut r.most_sensitive;
            named.push(candidate);
            named.sort_by_key(|x| (rank(&x.access), !x.private));
            named.truncate(NAMED);
        }
    }

    fn finish(mut self) -> BlastRadius {
        for id in std::mem::take(&mut self.sso_ids) {
            match self
                .radius
                .organizations
                .iter_mut()
                .find(|o| o.id == Some(id))
            {
                Some(o) => o.access = "sso-not-authorized".into(),
                None => self.radius.organizations.push(Organization {
                    login: None,
                    id: Some(id),
                    access: "sso-not-authorized".into(),
                }),
            }
        }
        let r = &self.radius.repositories;
        if r.complete {
            self.radius.repositories.at_most = None;
        }
        self.radius.severity = severity(
            self.radius.scopes.as_deref(),
            &self.radius.repositories,
            self.pages_read > 0,
        );
        self.radius
    }
}

fn rank(access: &str) -> u8 {
    match access {
        "admin" => 0,
        "push" => 1,
        _ => 2,
    }
}

fn has_next(r: &Response) -> bool {
    r.header("link").is_some_and(|l| l.contains("rel=\"next\""))
}

/// The page number of `rel="last"` in a `Link` header.
fn last_page(r: &Response) -> Option<u64> {
    let link = r.header("link")?;
    let last = link.split(',').find(|p| p.contains("rel=\"last\""))?;
    let url = last.split(';').next()?.trim();
    let url = url.trim_start_matches('<').trim_end_matches('>');
    let parsed = reqwest::Url::parse(url).ok()?;
    parsed
        .query_pairs()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse().ok())
}

/// Server text as patrol keeps it: the token itself redacted should a server echo it, and
/// at most [`MAX_TEXT`] characters.
fn clean(text: &str, secret: &Secret) -> String {
    let whole = String::from_utf8_lossy(secret.expose());
    let text = if !whole.is_empty() && text.contains(whole.as_ref()) {
        text.replace(whole.as_ref(), &secret.redacted())
    } else {
        text.to_string()
    };
    text.chars().take(MAX_TEXT).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_never_carries_the_token() {
        let secret = Secret::new(b"ghx_notarealtokenbutlongenough".to_vec());
        let echoed = clean("evil/ghx_notarealtokenbutlongenough", &secret);
        assert!(!echoed.contains("notarealtoken"), "{echoed}");
        assert_eq!(clean(&"x".repeat(1000), &secret).len(), MAX_TEXT);
    }
}
