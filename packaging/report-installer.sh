#!/usr/bin/env bash
# Sizes and start-up times of a built app image and .deb, measured on this machine:
#   report-installer.sh <app image folder> <.deb>
set -euo pipefail
image=$1 deb=$2
launcher=$image/bin/sagestudio

mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
bytes_of() { du -sb "$@" | awk '{ s += $1 } END { print s + 0 }'; }
now_ms() { date +%s%3N; }

echo "SageStudio installer report: $(date -u +%FT%TZ) on $(nproc) cores, $(uname -m)"
echo "app image: $(mib "$(bytes_of "$image")") installed; .deb: $(mib "$(stat -c %s "$deb")") ($(basename "$deb"))"
echo "largest files in the image:"
(cd "$image" && find . -type f -printf '%s %P\n' | sort -rn | sed -n 1,5p \
  | while read -r size path; do printf '  %10s  %s\n' "$(mib "$size")" "$path"; done)
echo "by part:"
printf '  %10s  %s\n' "$(mib "$(bytes_of "$image/lib/app/native")")" "native libraries (lib/app/native)" \
  "$(mib "$(bytes_of "$image/lib/runtime")")" "Java runtime with JavaFX, jlink (lib/runtime)" \
  "$(mib "$(bytes_of "$image/lib/app/models")")" "bundled models (lib/app/models)" \
  "$(mib "$(bytes_of "$image"/lib/app/*.jar)")" "jars (lib/app/*.jar)"

# Start-up with an empty home folder, as a first start after installing.
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
times=()
for _ in 1 2 3; do
  start=$(now_ms)
  HOME=$home "$launcher" --help >/dev/null
  times+=($(( $(now_ms) - start )))
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n | paste -sd' ' -)
echo "launch to exit of 'sagestudio --help': median $(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p) ms (runs: $sorted ms)"
start=$(now_ms)
HOME=$home "$launcher" generate "a red heart, twemoji style" --seed 7 -o "$home/heart.png" >/dev/null
echo "launch to first CPU image ('generate', default model and steps): $(( $(now_ms) - start )) ms"
echo "launch to window: measured by packaging/test-installed.sh under Xvfb once the desktop app exists"
