#!/usr/bin/env bash
# Install what the tests need and run them all: pytest, then lit/FileCheck.
# Arguments go to pytest (e.g. --exhaustive: every shared model on every CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
export PATH="$PWD/.venv/bin:$PATH"
python -m pytest -q -rs test "$@"   # -rs: one line per reason a test was skipped
lit -q test/filecheck
