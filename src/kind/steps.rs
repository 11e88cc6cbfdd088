//! How a replacement is made, for the kinds that share steps or whose steps are long: the
//! texts the registry's `replacement` fields point to (`{web}`, `{registry}`, `{settings}` are
//! filled by remediation).

pub(super) const CLASSIC_STEPS: &str = "Create a new personal access token (classic):
1. {settings} → Personal access tokens → Tokens (classic) → Generate new token → Generate new token (classic), or open
   {web}/settings/tokens/new?scopes=read:packages,write:packages&description=replacement
2. Give it a note and an expiration. Pick the least scopes: for {registry} pull `read:packages`, to push add `write:packages`; add `repo` only for packages of private repositories.
   Fine-grained tokens do not work with GitHub Packages: the registry needs a classic token.
3. If an organisation uses SAML single sign-on: next to the token, Configure SSO → Authorize, for each organisation.
4. Copy the token once; it is not shown again.";

pub(super) const APP_USER_STEPS: &str = "This is a GitHub App's user token (user tokens expire after 8 hours, refresh tokens after 6 months):
1. The user signs in to the app again; the app receives a new user token and refresh token.
2. Users can review the app's access: {web}/settings/apps/authorizations
3. App owners: {settings} → GitHub Apps → the app ({web}/settings/apps); if the app's client secret or private key leaked too, generate a new one and delete the old one.";

pub(super) const INSTALLATION_STEPS: &str = "This is a GitHub App installation token (Actions' GITHUB_TOKEN is one): it expires within the hour and the app mints a new one itself, so there is nothing to create by hand.
1. Find and fix what leaked it: a log that printed it, an artifact, a cache, a debug step.
2. If the app's private key leaked too: {settings} → GitHub Apps → the app → Private keys → Generate a private key, deploy it, then delete the old key ({web}/settings/apps).";

pub(super) const CLIENT_SECRET_STEPS: &str = "This is an OAuth app's or a GitHub App's client secret, not a token: it lets whoever holds it, with the app's client ID, act as the app in OAuth flows.
1. {settings} → OAuth Apps or GitHub Apps → the app ({web}/settings/developers) → Client secrets → Generate a new client secret.
2. Deploy the new secret wherever the app runs (its server's configuration, CI secrets).
3. Delete the leaked client secret in the same place; until then it still works.
4. If the app's private key leaked too (GitHub Apps): Private keys → Generate a private key, deploy it, delete the old one.";
