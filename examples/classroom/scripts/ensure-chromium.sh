#!/usr/bin/env bash
# Makes sure a Chromium the browser tests can drive is installed.
#
# The tests use playwright-core with an existing browser (CHROMIUM_PATH,
# default /usr/bin/chromium) because `npx playwright install` downloads from
# a CDN that CI machines and sandboxes often cannot reach; Debian's own
# package comes through the ordinary package mirror instead.
# Idempotent: does nothing when the browser (and the fonts) are there.
set -euo pipefail

CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"

# The app marks a few controls and system messages with emoji, and speaks
# Korean: without a colour emoji font and a CJK font the screenshots the
# tests save show empty boxes there (and the Korean layout cannot be judged).
FONTS=(fonts-noto-color-emoji fonts-noto-cjk)

packages=()
if [ -x "$CHROMIUM_PATH" ]; then
  echo "ensure-chromium: found $CHROMIUM_PATH ($("$CHROMIUM_PATH" --version 2>/dev/null || echo 'version unknown'))"
else
  echo "ensure-chromium: $CHROMIUM_PATH is missing or not executable; installing Debian's chromium package"
  packages+=(chromium)
fi
if command -v dpkg-query >/dev/null 2>&1; then
  for font in "${FONTS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$font" 2>/dev/null | grep -q 'install ok installed'; then
      echo "ensure-chromium: installing $font for the screenshots"
      packages+=("$font")
    fi
  done
fi
if [ "${#packages[@]}" -eq 0 ]; then
  exit 0
fi

# Only the browser is required; the fonts just make screenshots readable.
give_up() {
  if [ "${packages[0]}" = chromium ]; then
    echo "ensure-chromium: $1; install Chromium yourself and set CHROMIUM_PATH" >&2
    exit 1
  fi
  echo "ensure-chromium: $1; skipping ${packages[*]} (screenshots show boxes for emoji and Hangul)" >&2
  exit 0
}

if ! command -v apt-get >/dev/null 2>&1; then
  give_up "apt-get not found"
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    give_up "not root and no sudo"
  fi
fi

set -x
"${SUDO[@]}" apt-get update
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${packages[@]}"
set +x

if [ ! -x "$CHROMIUM_PATH" ]; then
  echo "ensure-chromium: chromium was installed but $CHROMIUM_PATH is still not executable;" \
       "set CHROMIUM_PATH to the installed browser (try: command -v chromium)" >&2
  exit 1
fi
echo "ensure-chromium: installed $("$CHROMIUM_PATH" --version 2>/dev/null || echo "$CHROMIUM_PATH")"
