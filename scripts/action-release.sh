#!/usr/bin/env bash
# The GitHub Action's choice of patrol release (action.yml, step "Choose the patrol release").
# Writes version=TAG (empty: no release matches, build from source) and dir=DIR (where patrol
# goes) to $GITHUB_OUTPUT.
#
# VERSION             the `version` input: that release, pinned
# ACTION_REF          the ref the workflow used the Action at: vX.Y.Z is that release; a moving
#                     vX or vX.Y tag is the release in the Action's Cargo.toml when it matches;
#                     a full commit SHA is that release only if tag vX.Y.Z points at this commit
# ACTION_REPOSITORY   OWNER/NAME of the Action (for the tag lookup with git ls-remote)
# GITHUB_ACTION_PATH, GITHUB_SERVER_URL, RUNNER_TOOL_CACHE, RUNNER_TEMP, RUNNER_OS, RUNNER_ARCH
#                     as GitHub sets them
set -euo pipefail

crate=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$GITHUB_ACTION_PATH/Cargo.toml" | head -n 1)
ref=${ACTION_REF:-}
version=""
if [ -n "${VERSION:-}" ]; then
  version=$VERSION
elif [[ $ref =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  version=$ref
elif [[ $ref =~ ^v[0-9]+(\.[0-9]+)?$ && $crate == "${ref#v}".* ]]; then
  version=v$crate
elif [[ $ref =~ ^[0-9a-f]{40}$ && -n ${ACTION_REPOSITORY:-} ]]; then
  tagged=$(git ls-remote --tags "$GITHUB_SERVER_URL/$ACTION_REPOSITORY" \
    "refs/tags/v$crate" "refs/tags/v$crate^{}" | cut -f1) || tagged=""
  if grep -qx "$ref" <<<"$tagged"; then version=v$crate; fi
fi

if [ -n "$version" ]; then
  echo "patrol: release $version"
  dir="$RUNNER_TOOL_CACHE/patrol/$version/$RUNNER_OS-$RUNNER_ARCH"
else
  echo "patrol: no release matches this Action's ref (${ref:-unknown}); building from source"
  dir="$RUNNER_TEMP/patrol-source"
fi
{
  echo "version=$version"
  echo "dir=$dir"
} >>"$GITHUB_OUTPUT"
