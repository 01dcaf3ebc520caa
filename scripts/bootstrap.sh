#!/usr/bin/env bash
# Idempotent set-up for a Debian/Ubuntu machine: system packages when missing, then .venv with loaxa
# and its dev extras. Safe to run again; it only does what is not done yet.
set -euo pipefail
cd "$(dirname "$0")/.."

# Commands the project runs, and the Debian package that provides each.
declare -A NEEDED=(
  [mosquitto]=mosquitto
  [ffmpeg]=ffmpeg
  [ffprobe]=ffmpeg
  [espeak-ng]=espeak-ng
  [chromium]=chromium  # the web console's browser tests (Playwright drives it headless)
  [pdftotext]=poppler-utils  # the report tests read the PDFs back as text
  [nginx]=nginx  # serves nodes their playlists and audio (devices/nginx.py; started privately, like mosquitto)
  [icecast2]=icecast2  # the streaming server for relays and live audio (devices/icecast.py; started privately)
  [haproxy]=haproxy  # the load balancer in front of several instances (tests/haproxy.py; started privately)
)
missing=()
for cmd in "${!NEEDED[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${NEEDED[$cmd]}")
done
# Headers for building pyaudio, and a C compiler; checked by file, not command.
[ -f /usr/include/portaudio.h ] || missing+=(portaudio19-dev)
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
# WeasyPrint (the reports' PDF) draws text with Pango; DejaVu covers every Vietnamese diacritic.
{ ldconfig -p 2>/dev/null || /sbin/ldconfig -p; } | grep -q 'libpangoft2-1.0.so.0' || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
[ -f "$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["include"])')/Python.h" ] || missing+=(python3-dev)

if [ ${#missing[@]} -gt 0 ]; then
  # shellcheck disable=SC2207
  pkgs=($(printf '%s\n' "${missing[@]}" | sort -u))
  echo "bootstrap: installing system packages: ${pkgs[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  # `env` passes the variable through sudo, which would otherwise drop it.
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
fi
# The distribution's mosquitto, nginx, icecast2 and haproxy services are not ours: tests and the demo start private ones.

PY="${PYTHON:-python3}"
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "bootstrap: loaxa needs Python 3.11 or newer; $("$PY" --version 2>&1) found (set PYTHON=python3.11)" >&2
  exit 1
fi
stamp=.venv/.loaxa-installed
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys' 2>/dev/null; then
  echo "bootstrap: creating .venv"
  rm -rf .venv
  "$PY" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "bootstrap: installing loaxa and its dev extras into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  touch "$stamp"
fi
echo "bootstrap: ready"
