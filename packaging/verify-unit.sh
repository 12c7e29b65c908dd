#!/usr/bin/env bash
# packaging/verify-unit.sh - `systemd-analyze verify` on the agent's unit, strictly.
#
#   packaging/verify-unit.sh          the repo's unit, in a throw-away root (no root needed, touches nothing)
#   packaging/verify-unit.sh --installed   the unit the package installed, on this system (man page checked too)
#
# systemd-analyze exits 0 on a misspelt value ("Failed to parse ..., ignoring"), so any line it prints fails
# the check too: a clean unit prints nothing. The throw-away root holds the host's own system units (the
# unit's dependencies must resolve) and a stub /usr/bin/vifscope (ExecStart must name an executable there).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
unit_name=vifscope-agent.service

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "verify-unit: systemd-analyze not found (apt-get install systemd); cannot check $unit_name" >&2
  exit 1
fi

if [ "${1:-}" = --installed ]; then
  out=$(systemd-analyze verify --man=yes "/lib/systemd/system/$unit_name" 2>&1) && rc=0 || rc=$?
else
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  mkdir -p "$root/usr/bin" "$root/lib/systemd"
  cp -a /lib/systemd/system "$root/lib/systemd/"
  printf '#!/bin/sh\nexit 0\n' >"$root/usr/bin/vifscope"
  chmod 755 "$root/usr/bin/vifscope"
  cp "$here/$unit_name" "$root/lib/systemd/system/"
  # --man=no: the man page is not installed in this root (the installed check looks it up).
  out=$(systemd-analyze verify --root="$root" --man=no "$root/lib/systemd/system/$unit_name" 2>&1) && rc=0 || rc=$?
fi

if [ "$rc" != 0 ] || [ -n "$out" ]; then
  printf '%s\n' "$out" >&2
  echo "verify-unit: $unit_name: systemd-analyze verify exited $rc$([ -n "$out" ] && echo ' and printed the lines above')" >&2
  exit 1
fi
echo "verify-unit: $unit_name: clean"
