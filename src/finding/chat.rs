//! The context of a location in a chat export: which message of which channel, by whom, when,
//! in which thread, and a link to it (filled by `source::chat`).

use serde::{Deserialize, Serialize};

/// Which chat message a location is in, as far as the export tells. Fields are absent when
/// unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(default)]
pub struct ChatContext {
    /// `slack`, `teams`, `discord` or `mattermost`.
    pub platform: String,
    /// The Slack workspace (its domain when the export shows it), Teams team, Discord server or
    /// Mattermost team.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The author's display name (Slack: through `users.json`), else their user name or id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// When the message was posted, ISO 8601 (`2024-05-01T12:34:56.000100Z`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// The message's id in its platform (Slack: its `ts`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The thread the message replies in, or the message it answers (Slack `thread_ts`, Teams
    /// `replyToId`, Discord `reference`, Mattermost: the parent post's time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread: Option<String>,
    /// The message was edited after it was posted.
    pub edited: bool,
    /// The text is a previous version of the message that the export keeps (an edit history).
    pub previous_version: bool,
    /// Where in the message the text is, as a key path (`text`, `attachments.text`,
    /// `blocks.elements.elements.text`, `embeds.description`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// A link to the message, when the export allows one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}
