#!/usr/bin/env bash
# Runs every check: ruff, then the whole test suite (unit, integration against a
# real Prosody started by the tests on free ports).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "==> ruff"
.venv/bin/ruff check .
echo "==> pytest"
exec .venv/bin/pytest "$@"
