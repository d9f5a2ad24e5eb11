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
# The verdict comes from the tags printed, not from --fail-on: with --show-overrides, lintian
# 2.116 fails on overridden tags too.
out=$(lintian --fail-on none --display-info --show-overrides "$deb")
echo "$out"
if echo "$out" | grep -q '^[EW]: '; then
  echo "check-lintian: $(basename "$deb"): error or warning tags above; fix them, or override" \
    "them in packaging/debian/lintian-overrides with the reason" >&2
  exit 1
fi
echo "check-lintian: $(basename "$deb"): no error or warning tags" \
  "($(echo "$out" | grep -c '^O: ') overridden, each with its reason)"
