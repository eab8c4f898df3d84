# shellcheck shell=bash
# Debian packages: apt-get with one update per run, a lock timeout and a log (var/apt.log).
# Sourced by scripts/bootstrap.sh (after lib/common.sh); defines functions only.

APT_UPDATED=0
pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
apt_get() {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -q -y \
        -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold "$@" 9>&-
}
apt_install() {
    [ "$#" -gt 0 ] || return 0
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found; please install: $*"
    mkdir -p "$VAR"
    local log="$VAR/apt.log"
    if [ "$APT_UPDATED" = 0 ]; then
        say "apt-get update (log var/apt.log)"
        local try
        for try in $(seq 1 60); do
            apt_get update >>"$log" 2>&1 && break
            # another apt-get update holds the lists lock: wait for it (up to 10 minutes)
            if [ "$try" -lt 60 ] && tail -n 5 "$log" | grep -q 'Could not get lock'; then sleep 10; continue; fi
            tail -n 20 "$log" >&2
            die "apt-get update failed (log: var/apt.log)"
        done
        APT_UPDATED=1
    fi
    say "installing Debian packages: $* (log var/apt.log)"
    apt_get install --no-install-recommends "$@" >>"$log" 2>&1 \
        || { tail -n 20 "$log" >&2; die "could not install Debian packages: $* (log: var/apt.log)"; }
}

have_libgdal() {
    command -v gdal-config >/dev/null 2>&1 && return 0
    local ldconfig
    ldconfig="$(command -v ldconfig || echo /sbin/ldconfig)"
    "$ldconfig" -p 2>/dev/null | grep -q 'libgdal\.so'
}
