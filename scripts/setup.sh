#!/usr/bin/env bash
# Installs everything Huddle needs on Debian (run as root, or with sudo available):
# Prosody, openssl, sqlite3, Profanity and tmux (terminal-client tests), and a Python
# virtual environment in .venv with Huddle and its test tools. Re-running it is safe and quick.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
need=()
command -v prosody >/dev/null || need+=(prosody)
command -v openssl >/dev/null || need+=(openssl)
# A terminal XMPP client and tmux to drive it: tests/terminal (staff on Profanity).
command -v profanity >/dev/null || need+=(profanity)
command -v tmux >/dev/null || need+=(tmux)
# The backup command of prosody-config/ADMIN.md, which tests/prosody_config runs.
command -v sqlite3 >/dev/null || need+=(sqlite3)
if [ ${#need[@]} -gt 0 ]; then
    echo "==> installing ${need[*]} (apt-get)"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv"
    "$PY" -m venv .venv
fi
echo "==> installing Huddle into .venv"
.venv/bin/pip install -q --disable-pip-version-check -e '.[test]'
echo "==> set-up done"
