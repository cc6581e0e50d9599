#!/usr/bin/env bash
# Runs fuzz/run.sh on every target in turn. Usage: fuzz/campaign.sh [SECONDS_PER_TARGET]
set -u
here=$(cd "$(dirname "$0")" && pwd)
for target in $(bash "$here/run.sh" --list); do
  bash "$here/run.sh" "$target" "${1:-600}" | grep "^$target:"
done
