//! Roll-out steps for a token found in a chat message: the message itself is what to clean up
//! (the token is replaced by revoking it, not by editing the message), and each platform keeps
//! copies of it in other places: edit history, exports, notifications, search, integrations.

use crate::finding::{ChatContext, Location};
use crate::report::chat_line;

/// What to do with the message holding the token at `l`.
pub fn message_step(l: &Location, chat: &ChatContext) -> String {
    format!(
        "{}:{} is a chat message ({}): delete it (editing the token out is not enough where \
         the platform keeps earlier versions); its copies elsewhere are listed below",
        l.path,
        l.line,
        chat_line(chat)
    )
}

/// Where `platform` keeps copies of a message, once for all of its messages.
pub fn platform_step(platform: &str) -> String {
    let copies = match platform {
        "slack" => {
            "Slack: delete the message (⋯ → Delete message; a Workspace Owner or Admin can \
             delete anyone's), which also drops it from Slack search; with message retention set \
             to keep revisions, edits stay in the workspace's exports and legal holds. Copies \
             outside the channel: notification emails and mobile notifications already sent, \
             earlier exports, apps and integrations that received the message (Events API bots, \
             archivers, DLP or SIEM feeds), thread replies also sent to the channel, and the \
             other organisation's copy in a Slack Connect channel"
        }
        "teams" => {
            "Microsoft Teams: delete the message (⋯ → Delete); an edit is not enough: Teams keeps \
             every version of a message as a compliance copy in the Exchange Online mailboxes of \
             the team or the chat members, held by retention policies and eDiscovery holds (a \
             compliance admin can find and purge them with Microsoft Purview). Copies outside \
             the channel: missed-activity emails and notifications, messages sent to the \
             channel's email address, bots, connectors, Power Automate flows and Graph \
             subscribers that read it, earlier exports, and search until the deletion is indexed"
        }
        "discord" => {
            "Discord: delete the message (hover → ⋯ → Delete Message; with Manage Messages, \
             anyone's); Discord shows no edit history, but logging and moderation bots often \
             copy edits and deletions into log channels: look there too. Copies outside the \
             channel: push and email notifications of mentions and direct messages, webhooks and \
             bots that read the channel, data packages and DiscordChatExporter files already made"
        }
        "mattermost" => {
            "Mattermost: delete the message (⋯ → Delete); an edit is not enough: Mattermost keeps \
             the earlier versions (shown as its edit history, and stored in the database until a \
             data retention policy or a permanent delete removes them). Copies outside the \
             channel: email and push notifications, compliance exports, the Elasticsearch or \
             Bleve search index, outgoing webhooks, bots and integrations, bulk exports already \
             made"
        }
        _ => "delete the message, and its copies in exports, notifications and integrations",
    };
    format!(
        "{copies}. Everyone who could read the channel saw the token: revoking it is what \
         protects you, deleting the message stops it spreading. Keep or delete the export \
         itself as your incident process says: it still holds the token"
    )
}
