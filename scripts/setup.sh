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

sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"

# apt-get, waiting (up to 5 minutes) for another apt/dpkg that holds the lock
# instead of failing with status 100 (apt's own Lock::Timeout, and fuser,
# where there is one, to say so).
apt_get() {
    local waited=0
    while command -v fuser >/dev/null 2>&1 &&
          fuser /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock >/dev/null 2>&1; do
        if [ "$waited" -ge 300 ]; then
            echo "setup: another apt-get or dpkg has held the package lock for 5 minutes; giving up" >&2
            return 1
        fi
        [ "$waited" -gt 0 ] || echo "setup: waiting for another apt-get or dpkg to finish (up to 5 minutes)" >&2
        sleep 5; waited=$((waited + 5))
    done
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 "$@"
}

# pip, without setuptools' notice that an editable install maps the package
# folders (it is printed on every install and says nothing to act on).
pip_install() {
    .venv/bin/python -W "ignore:Editable installation" -m pip install -q "$@"
}

if [ ! -x .venv/bin/python ]; then
    if ! "$python" -m venv .venv 2>/dev/null; then
        # Debian ships venv separately from the interpreter.
        rm -rf .venv
        apt_get update -qq
        apt_get install -y -qq python3-venv
        "$python" -m venv .venv
    fi
fi
pip_install --upgrade pip
if [ "$extras" = test ]; then
    pip_install -e ".[test]"
    # The Cortex-M tests cross-compile with arm-none-eabi-gcc (binutils comes
    # with it), link against newlib with semihosting (rdimon.specs), and run the
    # ELF in QEMU's mps2-an386. Installed only when missing: a rerun is fast.
    # The C backend's tests compile for the host with gcc (and its sanitizers),
    # and build a firmware with the make and CMake fragments it writes.
    if ! command -v gcc >/dev/null 2>&1 ||
       ! command -v make >/dev/null 2>&1 ||
       ! command -v cmake >/dev/null 2>&1 ||
       ! command -v arm-none-eabi-gcc >/dev/null 2>&1 ||
       ! command -v qemu-system-arm >/dev/null 2>&1 ||
       [ ! -f "$(arm-none-eabi-gcc -print-file-name=rdimon.specs 2>/dev/null)" ]; then
        debs=(gcc libc6-dev make cmake gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)
        if command -v apt-get >/dev/null 2>&1; then
            echo "setup: installing ${debs[*]} (apt-get)" >&2
            apt_get update -qq
            apt_get install -y -qq --no-install-recommends "${debs[@]}" >/dev/null
        else
            echo "setup: no apt-get; the Cortex-M tests need ${debs[*]} (they skip without)" >&2
        fi
    fi
else
    pip_install -e .
fi
