#!/bin/sh
# Debian's package checker over spacelet's .deb (target `lintian`, CTest test package-lintian):
# error and warning tags fail it; info tags are shown. Tags the package cannot avoid are
# overridden in usr/share/lintian/overrides/spacelet (debian/lintian-overrides), each with the
# reason in a comment, and are listed here with --show-overrides.
# Usage: check-lintian.sh DEB
set -eu
deb=${1:?usage: check-lintian.sh DEB}
[ -f "$deb" ] || {
  echo "check-lintian: no package at '$deb'; build it first (make package)" >&2
  exit 2
}
command -v lintian >/dev/null || {
  echo "check-lintian: lintian is not installed (packaging/build-deps.sh installs it)" >&2
  exit 2
}
lintian --fail-on error,warning --display-info --show-overrides "$deb"
echo "check-lintian: $(basename "$deb"): no error or warning tags"
