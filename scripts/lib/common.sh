# shellcheck shell=bash
# Shared by the bootstrap steps: messages, root, URLs. Sourced by scripts/bootstrap.sh.

say() { printf 'choicemap: %s\n' "$*"; }
die() { printf 'choicemap: ERROR: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" -eq 0 ]; }

as_root() {
    if is_root; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "root privileges are needed for: $* (run as root, or install sudo)"
    fi
}


urlencode() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
mask_url() { printf '%s' "$1" | sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#'; }
