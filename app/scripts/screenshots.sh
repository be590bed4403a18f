#!/usr/bin/env bash
# Regenerates docs/screenshots/*.png: runs the real app under Xvfb (installed here if missing, as root with apt-get),
# generates an image and a clip with the bundled models on the CPU and captures each view
# (app/scripts/screenshots.sh --real-shapes-only: only benchmark-real-shapes.png, no runs).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v xvfb-run >/dev/null; then
  echo "screenshots: installing Xvfb (apt-get install xvfb xauth)" >&2
  apt-get update -qq && apt-get install -y -qq xvfb xauth >&2
fi
cd "$here"
mvn -B -q -DskipTests -Dsagestudio.skipCuda=true package >&2
jar=$(ls app/target/app-*.jar | grep -v -e sources -e tests | head -n 1)
xvfb-run -a -s "-screen 0 1400x900x24" java -Dsagestudio.home="$here" -Dsagestudio.timing=true \
  -cp "$jar:app/target/lib/*" dev.sagestudio.app.ui.ScreenshotTour "$here/docs/screenshots" "$@"
