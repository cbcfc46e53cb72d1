#!/usr/bin/env bash
# Create .venv with tinyir installed (editable); `scripts/setup.sh test` adds the
# test tools. Needs only Python >= 3.11 and, where venv is missing, apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"

python=""
for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        python="$candidate"; break
    fi
done
[ -n "$python" ] || { echo "error: tinyir needs Python 3.11 or newer" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
    if ! "$python" -m venv .venv 2>/dev/null; then
        # Debian ships venv separately from the interpreter.
        rm -rf .venv
        sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        $sudo apt-get install -y -qq python3-venv
        "$python" -m venv .venv
    fi
fi
.venv/bin/python -m pip install -q --upgrade pip
if [ "$extras" = test ]; then
    .venv/bin/python -m pip install -q -e ".[test]"
else
    .venv/bin/python -m pip install -q -e .
fi
