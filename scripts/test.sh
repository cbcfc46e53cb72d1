#!/usr/bin/env bash
# Install what the tests need and run them all: pytest, then lit/FileCheck.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
export PATH="$PWD/.venv/bin:$PATH"
python -m pytest -q test
lit -q test/filecheck
