#!/usr/bin/env bash
# The installer part of CI (.ci/run calls it after the README's test command): installs the tools it needs, builds
# the app image and the .deb once (zstd: about ten times faster to build than xz) with its size and start-up report
# (the build prints it) and runs packaging/test-installed.sh on that .deb.
set -euo pipefail
cd "$(dirname "$0")/.."
packaging/install-test-tools.sh
unshare --net --mount true 2>/dev/null || unshare --map-root-user --net --mount true \
  || { echo "installer test: this machine does not allow unshare (new network and mount namespaces)" >&2; exit 1; }
mvn -B -q -Pinstaller -Dinstaller.compression=zstd -DskipTests package
packaging/test-installed.sh packaging/target/installer/sagestudio_*_amd64.deb
