#!/usr/bin/env bash
# First run on a fresh machine: install what is needed, build, and report this host's kernel taint.
# Extra arguments go to `taintwatch status` (e.g. --json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
dotnet build src/TaintWatch -c Release -nologo -v quiet -o artifacts/bin >/dev/null
exec artifacts/bin/taintwatch status "$@"
