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
    # The Cortex-M tests cross-compile with arm-none-eabi-gcc (binutils comes
    # with it), link against newlib with semihosting (rdimon.specs), and run the
    # ELF in QEMU's mps2-an386. Installed only when missing: a rerun is fast.
    # The C backend's tests compile for the host with gcc (and its sanitizers).
    if ! command -v gcc >/dev/null 2>&1 ||
       ! command -v arm-none-eabi-gcc >/dev/null 2>&1 ||
       ! command -v qemu-system-arm >/dev/null 2>&1 ||
       [ ! -f "$(arm-none-eabi-gcc -print-file-name=rdimon.specs 2>/dev/null)" ]; then
        debs=(gcc libc6-dev gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)
        if command -v apt-get >/dev/null 2>&1; then
            sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
            echo "setup: installing ${debs[*]} (apt-get)" >&2
            $sudo apt-get update -qq
            $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
                --no-install-recommends "${debs[@]}" >/dev/null
        else
            echo "setup: no apt-get; the Cortex-M tests need ${debs[*]} (they skip without)" >&2
        fi
    fi
else
    .venv/bin/python -m pip install -q -e .
fi
