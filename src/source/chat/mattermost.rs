//! Mattermost bulk exports (JSON Lines): `team`, `channel` and `user` records name what the
//! `post` and `direct_post` records after them refer to (`team`, `channel`, `user`,
//! `channel_members`, `message`, `create_at` in milliseconds, `edit_at`, and `replies`, each a
//! message of its own in the parent's thread). The export has no post ids, so no links.

use std::collections::HashMap;

use serde_json::Value;

use super::{field, iso_utc};
use crate::finding::ChatContext;

/// Display names read so far in the export.
#[derive(Default)]
pub struct State {
    teams: HashMap<String, String>,
    /// `team/channel` → display name.
    channels: HashMap<String, String>,
    users: HashMap<String, String>,
}

impl State {
    /// The messages of one record (a post and its replies); names from the other records.
    pub fn messages(&mut self, record: Value) -> Vec<(ChatContext, Value)> {
        let kind = field(&record, &["type"]).unwrap_or_default().to_string();
        let Value::Object(mut record) = record else {
            return Vec::new();
        };
        let Some(mut body) = record.remove(&kind) else {
            return Vec::new();
        };
        match kind.as_str() {
            "team" => self.name_team(&body),
            "channel" => self.name_channel(&body),
            "user" => self.name_user(&body),
            "post" | "direct_post" => return self.post(&mut body),
            _ => {}
        }
        // Any other record is still text to scan, without a message context.
        Vec::new()
    }

    fn name_team(&mut self, t: &Value) {
        if let (Some(name), Some(display)) = (field(t, &["name"]), field(t, &["display_name"])) {
            self.teams.insert(name.into(), display.into());
        }
    }

    fn name_channel(&mut self, c: &Value) {
        if let (Some(team), Some(name), Some(display)) = (
            field(c, &["team"]),
            field(c, &["name"]),
            field(c, &["display_name"]),
        ) {
            self.channels
                .insert(format!("{team}/{name}"), display.into());
        }
    }

    fn name_user(&mut self, u: &Value) {
        let Some(username) = field(u, &["username"]) else {
            return;
        };
        let full = [field(u, &["first_name"]), field(u, &["last_name"])]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let display = field(u, &["nickname"])
            .map(str::to_string)
            .or((!full.is_empty()).then_some(full));
        if let Some(display) = display {
            self.users
                .insert(username.into(), format!("{display} (@{username})"));
        }
    }

    fn post(&self, post: &mut Value) -> Vec<(ChatContext, Value)> {
        let replies = match post.as_object_mut().and_then(|p| p.remove("replies")) {
            Some(Value::Array(r)) => r,
            _ => Vec::new(),
        };
        let team = field(post, &["team"]);
        let workspace = team.map(|t| self.teams.get(t).cloned().unwrap_or_else(|| t.into()));
        let channel = match (team, field(post, &["channel"])) {
            (Some(t), Some(c)) => Some(
                self.channels
                    .get(&format!("{t}/{c}"))
                    .cloned()
                    .unwrap_or_else(|| c.into()),
            ),
            _ => post
                .get("channel_members")
                .and_then(Value::as_array)
                .map(|m| {
                    let names: Vec<&str> = m.iter().filter_map(Value::as_str).collect();
                    format!("direct message: {}", names.join(", "))
                }),
        };
        let parent = ChatContext {
            platform: "mattermost".into(),
            workspace,
            channel,
            ..ChatContext::default()
        };
        let first = self.context(&parent, post, None);
        let thread = first.time.clone();
        let mut out = vec![(first, std::mem::take(post))];
        for reply in replies.into_iter().filter(Value::is_object) {
            out.push((self.context(&parent, &reply, thread.clone()), reply));
        }
        out
    }

    fn context(&self, base: &ChatContext, m: &Value, thread: Option<String>) -> ChatContext {
        let user = field(m, &["user"]);
        ChatContext {
            author: user.map(|u| self.users.get(u).cloned().unwrap_or_else(|| u.into())),
            time: millis(m, "create_at"),
            thread: thread.map(|t| format!("reply to the post of {t}")),
            edited: millis(m, "edit_at").is_some(),
            ..base.clone()
        }
    }
}

/// A milliseconds-since-the-epoch field as ISO 8601; absent or 0 is `None`.
fn millis(m: &Value, key: &str) -> Option<String> {
    let ms = m.get(key)?.as_i64().filter(|&ms| ms > 0)?;
    Some(iso_utc(ms / 1000, &format!("{:03}", ms % 1000)))
}
