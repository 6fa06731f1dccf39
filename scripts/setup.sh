#!/usr/bin/env bash
# Installs everything Huddle needs on Debian (run as root, or with sudo available):
# Prosody, openssl, sqlite3, Profanity and tmux (terminal-client tests), Node.js with
# npm and Converse.js (the widget and staff console), Chromium (browser tests), nginx
# (the reverse-proxy tests), and a Python virtual environment in .venv with Huddle and
# its test tools. Re-running it is safe and quick.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
need=()
command -v prosody >/dev/null || need+=(prosody)
command -v openssl >/dev/null || need+=(openssl)
# Community modules: mod_firewall fences visitors in, mod_c2s_conn_throttle caps their
# connections. Debian's prosody-modules installs them beside Prosody's own.
[ -f /usr/lib/prosody/modules/mod_firewall/mod_firewall.lua ] \
    || [ -f /usr/lib/prosody/modules/mod_firewall.lua ] || need+=(prosody-modules)
# A terminal XMPP client and tmux to drive it: tests/terminal (staff on Profanity).
command -v profanity >/dev/null || need+=(profanity)
command -v poezio >/dev/null || need+=(poezio)
command -v tmux >/dev/null || need+=(tmux)
# The backup command of prosody-config/ADMIN.md, which tests/prosody_config runs.
command -v sqlite3 >/dev/null || need+=(sqlite3)
# Converse.js for the visitor widget and staff console comes from npm; Chromium runs
# them in tests/browser (driven by Playwright, which must never download a browser).
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
command -v chromium >/dev/null || need+=(chromium)
# tests/prosody_config/test_layouts.py: nginx runs the shipped reverse-proxy examples
# (prosody-config/nginx-*.conf) in front of Prosody, and certutil gives Chromium an
# NSS database that trusts the test's own certificate authority.
command -v nginx >/dev/null || need+=(nginx)
command -v certutil >/dev/null || need+=(libnss3-tools)
# Desktop staff clients on a virtual X display: tests/clients runs Gajim in a
# session bus of its own, types into it with xdotool and takes screenshots with
# ImageMagick's import.
command -v Xvfb >/dev/null || need+=(xvfb)
command -v gajim >/dev/null || need+=(gajim)
command -v dbus-run-session >/dev/null || need+=(dbus-daemon)
command -v xdotool >/dev/null || need+=(xdotool)
command -v import >/dev/null || need+=(imagemagick)
# Dino (tests/clients/test_dino.py) runs in a private network namespace (util-linux's
# unshare and nsenter); a helper in the system Python (PyGObject, AT-SPI) is its
# notification server and reads its widgets from the accessibility bus.
command -v dino-im >/dev/null || need+=(dino-im)
/usr/bin/python3 -c "import gi; gi.require_version('Atspi', '2.0')" 2>/dev/null \
    || need+=(python3-gi gir1.2-atspi-2.0)
[ -x /usr/libexec/at-spi-bus-launcher ] || need+=(at-spi2-core)
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
# npm ci wipes and reinstalls node_modules; skip it while the installed tree
# matches package-lock.json (the copy saved after the last successful install).
WEB=prosody-config/web
if ! cmp -s "$WEB/package-lock.json" "$WEB/node_modules/.installed-lock.json"; then
    echo "==> installing Converse.js (npm ci in $WEB)"
    # --ignore-scripts: only the prebuilt dist files are used, nothing needs building.
    (cd "$WEB" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
    cp "$WEB/package-lock.json" "$WEB/node_modules/.installed-lock.json"
fi
echo "==> installing Huddle into .venv"
.venv/bin/pip install -q --disable-pip-version-check -e '.[test]'
echo "==> set-up done"
