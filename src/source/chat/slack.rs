//! Slack messages (`type`, `user`, `ts`, `thread_ts`, `text`, `edited`, `attachments`,
//! `blocks`, `files`; `message_changed` events with the `message` and its `previous_message`):
//! the author through `users.json` (else the message's own `user_profile`), the time from `ts`,
//! and a permalink `https://DOMAIN.slack.com/archives/CHANNEL/pTS` when a link in the export
//! showed the workspace's domain and `channels.json` the channel's id.

use serde_json::Value;

use super::{Place, field, iso_utc};
use crate::finding::ChatContext;

/// The message in one record of a Slack channel file.
pub fn messages(record: Value, place: &mut Place) -> Vec<(ChatContext, Value)> {
    if !record.is_object() {
        return Vec::new();
    }
    learn_domain(&record, place);
    // An edit event carries the message as it now is, and the one before.
    let m = match record.get("message") {
        Some(inner) if field(&record, &["subtype"]) == Some("message_changed") => inner,
        _ => &record,
    };
    let ts = field(m, &["ts"]);
    let thread = field(m, &["thread_ts"]);
    let channel = place.dir.clone();
    let channel_id = channel
        .as_ref()
        .and_then(|c| place.meta.channels.get(c).cloned());
    let link = match (&place.domain, &channel_id, ts) {
        (Some(domain), Some(cid), Some(ts)) => {
            let mut link = format!(
                "https://{domain}.slack.com/archives/{cid}/p{}",
                ts.replace('.', "")
            );
            if let Some(t) = thread.filter(|t| *t != ts) {
                link.push_str(&format!("?thread_ts={t}&cid={cid}"));
            }
            Some(link)
        }
        _ => None,
    };
    let context = ChatContext {
        platform: "slack".into(),
        workspace: place.domain.clone().or_else(|| place.export.clone()),
        channel,
        author: author(m, place),
        time: ts.and_then(time_of_ts),
        message: ts.map(str::to_string),
        thread: thread.map(str::to_string),
        edited: m.get("edited").is_some() || !std::ptr::eq(m, &record),
        link,
        ..ChatContext::default()
    };
    vec![(context, record)]
}

fn author(m: &Value, place: &Place) -> Option<String> {
    let id = field(m, &["user"]);
    id.and_then(|id| place.meta.users.get(id).cloned())
        .or_else(|| {
            [
                &["user_profile", "display_name"][..],
                &["user_profile", "real_name"],
                &["user_profile", "name"],
                &["username"],
            ]
            .iter()
            .find_map(|p| field(m, p).map(str::to_string))
        })
        .or_else(|| id.or_else(|| field(m, &["bot_id"])).map(str::to_string))
}

/// `1700000000.000100` → `2023-11-14T22:13:20.000100Z`.
fn time_of_ts(ts: &str) -> Option<String> {
    let (secs, fraction) = ts.split_once('.').unwrap_or((ts, ""));
    let secs: i64 = secs.parse().ok()?;
    fraction
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| iso_utc(secs, fraction))
}

/// Takes the workspace's domain from the first `https://DOMAIN.slack.com/` link in a message
/// (file permalinks, shared-message links), once.
fn learn_domain(record: &Value, place: &mut Place) {
    if place.domain.is_some() {
        return;
    }
    super::text::strings(record, &mut |_, s| {
        if place.domain.is_none() {
            place.domain = domain_in(s);
        }
    });
}

fn domain_in(s: &str) -> Option<String> {
    let at = s.find("https://")? + "https://".len();
    let host = s[at..].split(['/', '?', '#']).next()?;
    let name = host.strip_suffix(".slack.com")?;
    let ok = !name.is_empty()
        && !name.contains('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    // Shared hosts are not a workspace.
    (ok && !["files", "app", "api", "hooks", "slack-files"].contains(&name))
        .then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_and_times() {
        assert_eq!(
            domain_in("see https://acme-eng.slack.com/files/U1/F1/x.txt").as_deref(),
            Some("acme-eng")
        );
        assert_eq!(domain_in("https://files.slack.com/files-pri/T1-F1/x"), None);
        assert_eq!(domain_in("https://evil.com/?.slack.com"), None);
        assert_eq!(
            time_of_ts("1700000000.000100").as_deref(),
            Some("2023-11-14T22:13:20.000100Z")
        );
        assert_eq!(time_of_ts("x.1"), None);
    }
}
