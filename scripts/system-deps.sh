#!/usr/bin/env bash
# Installs the Debian packages that the real-synth and GUI tests need, when
# missing. As root with apt-get it installs them; otherwise it names what is
# missing. Under CI=true anything still missing is a failure, not a skip.
set -euo pipefail

packages=(
  jackd2 fluidsynth timgm6mb-soundfont   # a real JACK server and GM synth
  xvfb xauth                             # a real X window for screenshots
  libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-render-util0
  libxcb-image0 libxcb-xinerama0 libxcb-randr0   # Qt's offscreen and xcb platforms
  abcmidi musescore3                     # reference converters for tests/differential
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi

echo "Missing Debian packages: ${missing[*]}"
echo "Install them with: sudo apt-get install ${missing[*]}"
if [ "${CI:-}" = "true" ]; then
  echo "CI=true: the real-synth and GUI tests need them; failing." >&2
  exit 1
fi
echo "Tests that need them will be skipped."
