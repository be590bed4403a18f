#!/usr/bin/env bash
# Re-packs a make-gpu-bundle.sh folder to travel in one device call (run 14's recipe, runs/run14-v12/bundle.md):
# a runtime without java.desktop (jlink --compress=0, libjvm.so stripped) whose run-gpu.sh info|bench start
# GpuCommandOnly, the kernel fatbin taken out of the attention jar (the call puts the sm_90a cubin there), JNA's
# natives for other platforms dropped, every jar re-zipped uncompressed so that one `tar | xz -9e` compresses well.
#   usage: pack-bundle.sh <make-gpu-bundle folder> <out.txz>
set -euo pipefail
SRC=$(cd "$1" && pwd); OUT=$2
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
W=$(mktemp -d); B=$W/sagestudio-gpu
cp -r "$SRC" "$B"
rm -rf "$B/jre"
jlink --add-modules java.base,java.logging,jdk.unsupported --compress=0 --strip-debug --no-man-pages \
  --no-header-files --output "$B/jre"
strip "$B/jre/lib/server/libjvm.so"
ATT=$(ls "$B"/lib/attention-*.jar | grep -v -e sources -e tests)
zip -q -d "$ATT" dev/sagestudio/attention/gpu/sagestudio_kernels.fatbin
JNA=$(ls "$B"/lib/jna-*.jar)
unzip -Z1 "$JNA" | grep '^com/sun/jna/.*/libjnidispatch' | grep -v '^com/sun/jna/linux-x86-64/' | xargs zip -q -d "$JNA"
mkdir -p "$B/launcher"
javac -d "$B/launcher" -cp "$(printf '%s:' "$B"/lib/*.jar)" "$HERE/../run14-v12/GpuCommandOnly.java"
sed -i 's|dev.sagestudio.app.cli.SageStudioCli gpu-bench|GpuCommandOnly bench|; s|dev.sagestudio.app.cli.SageStudioCli gpu-info|GpuCommandOnly info|; s|-cp "\$CP" GpuCommandOnly|-cp "$HERE/launcher:$CP" GpuCommandOnly|' "$B/run-gpu.sh"
for j in "$B"/lib/*.jar "$B"/tests/*.jar; do
  d=$W/unz; rm -rf "$d"; mkdir "$d"; (cd "$d" && unzip -q "$j" && rm "$j" && zip -q -0 -r -X "$j" .)
done
rm -rf "$W/unz"
tar -C "$W" -cf - sagestudio-gpu | xz -9e -T2 > "$OUT"
rm -rf "$W"
echo "[pack] $OUT $(du -h "$OUT" | cut -f1)"
