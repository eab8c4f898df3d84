# shellcheck shell=bash
# Step 2: Python >= 3.12 (found, or installed with pyenv or python-build-standalone), .venv,
# and requirements.txt (reinstalled when it changes).
# Sourced by scripts/bootstrap.sh (after lib/common.sh).

# The routing engines (osrm-bindings, pyvalhalla) ship wheels only for CPython >= 3.12 (abi3).
PY_MIN_MINOR=12
py_ok() { "$1" -c "import sys; sys.exit(0 if sys.version_info >= (3, $PY_MIN_MINOR) else 1)" >/dev/null 2>&1; }
find_python() {
    local cand
    if [ -n "${CHOICEMAP_PYTHON:-}" ]; then
        py_ok "$CHOICEMAP_PYTHON" && { echo "$CHOICEMAP_PYTHON"; return 0; }
        die "CHOICEMAP_PYTHON=$CHOICEMAP_PYTHON is not Python >= 3.$PY_MIN_MINOR"
    fi
    for cand in python3.12 python3.13 python3.14 python3; do
        cand="$(command -v "$cand" 2>/dev/null)" || continue
        py_ok "$cand" && { echo "$cand"; return 0; }
    done
    for cand in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12.*/bin/python3 \
                "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13.*/bin/python3 \
                /usr/local/bin/python3.12 /opt/python*/bin/python3 "$VAR"/python/*/bin/python3; do
        [ -x "$cand" ] && py_ok "$cand" && { echo "$cand"; return 0; }
    done
    return 1
}
install_python() {
    # pyenv when present, else a python-build-standalone CPython under var/python (pbs-installer from PyPI).
    local pyenv_bin
    pyenv_bin="$(command -v pyenv 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}/bin/pyenv")"
    if [ -x "$pyenv_bin" ]; then
        say "installing Python 3.12 with pyenv (several minutes)"
        "$pyenv_bin" install -s 3.12 >>"$VAR/python-install.log" 2>&1 && return 0
    fi
    say "installing a standalone CPython 3.12 under var/python (pbs-installer)"
    command -v python3 >/dev/null 2>&1 || apt_install python3 python3-venv
    python3 -m venv "$VAR/pbs-venv" >>"$VAR/python-install.log" 2>&1 || { apt_install python3-venv; python3 -m venv "$VAR/pbs-venv"; }
    "$VAR/pbs-venv/bin/pip" install -q 'pbs-installer[download,install]' >>"$VAR/python-install.log" 2>&1 \
        && "$VAR/pbs-venv/bin/pbs-install" 3.12 --version-dir -d "$VAR/python" >>"$VAR/python-install.log" 2>&1
}
venv_ok() { [ -x "$PY" ] && py_ok "$PY" && "$PY" -m pip --version >/dev/null 2>&1; }

setup_python() {
    PYTHON_BASE="$(find_python || true)"
    if [ -z "$PYTHON_BASE" ]; then
        install_python || true
        PYTHON_BASE="$(find_python || true)"
        [ -n "$PYTHON_BASE" ] || die "Python >= 3.$PY_MIN_MINOR not found and could not be installed (log var/python-install.log); install python3.12 and set CHOICEMAP_PYTHON=/path/to/python3.12"
    fi
    if ! venv_ok; then
        say "creating .venv with $PYTHON_BASE ($("$PYTHON_BASE" -V 2>&1))"
        rm -rf -- "$VENV"
        if ! "$PYTHON_BASE" -m venv "$VENV" >/dev/null 2>&1; then
            # Debian ships ensurepip separately, in python3-venv.
            apt_install python3-venv
            rm -rf -- "$VENV"
            "$PYTHON_BASE" -m venv "$VENV" || die "could not create .venv with $PYTHON_BASE"
        fi
    fi
    if [ -f "$ROOT/requirements.txt" ]; then
        req_files=("$ROOT/requirements.txt")
        if [ -d "$ROOT/requirements" ]; then
            while IFS= read -r -d '' f; do req_files+=("$f"); done \
                < <(find "$ROOT/requirements" -maxdepth 1 -name '*.txt' -print0 | sort -z)
        fi
        req_hash="$(cat "${req_files[@]}" | sha256sum | cut -d' ' -f1)"
        if [ "$(cat "$VENV/.requirements.sha256" 2>/dev/null || true)" != "$req_hash" ]; then
            say "installing Python requirements into .venv (requirements.txt changed)"
            "$PY" -m pip install --disable-pip-version-check -q -r "$ROOT/requirements.txt" \
                || die "pip install -r requirements.txt failed"
            printf '%s\n' "$req_hash" >"$VENV/.requirements.sha256"
        else
            say "Python requirements up to date"
        fi
    else
        say "WARNING: requirements.txt not found; skipping pip install"
    fi
}
