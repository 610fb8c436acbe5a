#!/bin/sh
# Installs the system package attnquiz's sandbox needs: bubblewrap (bwrap), the boundary of
# the checker's strict isolation level (docs/checker.md). Safe to run again: it does nothing
# when bwrap is already there. Without it, checks run at a weaker level and say so.
#
#   sh scripts/setup.sh        (root, or a user with sudo; Debian/Ubuntu, Fedora, Arch, Alpine)
set -eu

say() { printf 'setup: %s\n' "$*" >&2; }

if [ "$(uname -s)" != Linux ]; then
    say "bubblewrap is Linux-only: checks here use the process isolation level"
    exit 0
fi

if ! command -v bwrap >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
        run() { "$@"; }
    elif command -v sudo >/dev/null 2>&1; then
        run() { sudo "$@"; }
    else
        say "bubblewrap is missing and installing it needs root: ask an administrator for the 'bubblewrap' package"
        exit 0
    fi
    if command -v apt-get >/dev/null 2>&1; then
        say "installing bubblewrap (apt-get)"
        run env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null
    elif command -v dnf >/dev/null 2>&1; then
        run dnf install -y -q bubblewrap
    elif command -v pacman >/dev/null 2>&1; then
        run pacman -S --noconfirm --needed bubblewrap
    elif command -v apk >/dev/null 2>&1; then
        run apk add --quiet bubblewrap
    else
        say "no known package manager: install bubblewrap by hand for the strict isolation level"
        exit 0
    fi
fi

# bwrap is there; can it make namespaces here? (Docker's default seccomp profile and
# Ubuntu 24.04's AppArmor rule refuse unprivileged user namespaces.)
if bwrap --ro-bind / / --unshare-all --die-with-parent true >/dev/null 2>&1; then
    say "bubblewrap works: checks run at the strict isolation level"
else
    say "bubblewrap is installed but cannot create namespaces here; checks will use a weaker level."
    say "To allow them: sudo sysctl kernel.unprivileged_userns_clone=1 (Debian), or on Ubuntu 24.04"
    say "sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0; in Docker, run with --security-opt seccomp=unconfined"
fi
