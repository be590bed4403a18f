#!/usr/bin/env bash
# Prepares what the GPU machine needs to run the zero-copy ONNX path (DevicePathGpuTest and run-onnx
# --ep cuda) without Java or Maven there: the attention GPU bundle (jlink'ed runtime, JUnit console,
# attention test classes; made by attention/scripts/make-gpu-bundle.sh), plus the models jar and
# their runtime dependencies built with ONNX Runtime's linux-x86_64-gpu natives (the CUDA EP), the
# dnnl and opencl natives the JavaCPP loader wants, and the models test classes.
#
# A device call carries at most 64 MiB, of which the repository's tracked files take ~49 MB, and the
# -gpu natives alone are a 129 MB jar. So the bundle is packed (tar | xz) and split into parts of at
# most PART_MB (default 20) MB, each in its own ignored folder .gpu-bundle/ort-parts/pNN/, to be
# carried by consecutive device calls while the machine is warm; each call moves its part into
# /root/cache/ort, and the last one assembles and runs (models/scripts/run-ort-gpu-bundle.sh).
# The exact calls are written to .gpu-bundle/ort-parts/CALLS.md (see docs/onnx-runtime.md).
#
#   usage: models/scripts/make-ort-gpu-bundle.sh [--allow-no-kernels]
# KEEP_SM=90 keeps only the sm_90 (H100/H200) machine code of ONNX Runtime's CUDA EP library
# (models/scripts/keep_cuda_arch.py): about 80 MB less that xz cannot pack, 4 fewer device calls; the
# bundle then runs on sm_90 GPUs only. With KEEP_SM=90 the bundle is ~107 MB: PART_COUNT=6 made parts of ~17.8 MB
# while the tracked files were 45 MiB; at 49 MiB (2026-12-06, evening) PART_COUNT=8 is needed. The script warns.
# Needs here: JDK 17+ with jmods, Maven (MAVEN_OFFLINE=1 for -o), nvcc for the kernels, xz, split, python3.
set -euo pipefail
ALLOW=()
if [[ "${1:-}" == "--allow-no-kernels" ]]; then ALLOW=(--allow-no-kernels); shift; fi
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STAGE=$ROOT/.gpu-bundle/sagestudio-ort-gpu
PARTS=$ROOT/.gpu-bundle/ort-parts
PART_MB=${PART_MB:-20}
MVN=(mvn -B -q -Donnxruntime.classifier=linux-x86_64-gpu)
[[ "${MAVEN_OFFLINE:-}" == "1" ]] && MVN+=(-o)
cd "$ROOT"

echo "[ort-bundle] attention GPU bundle (runtime image, JUnit console, attention tests)"
# Jackson, JavaCPP and the models code need more of the JDK than the attention tests do; jdk.jfr lets a device call
# record where the host's time goes (Flight Recorder; the GPU machine has no perf or nsys).
JLINK_MODULES=java.base,java.logging,jdk.unsupported,java.management,java.xml,java.desktop,java.naming,java.sql,jdk.jfr \
  attention/scripts/make-gpu-bundle.sh "${ALLOW[@]}" "$STAGE"
rm -f "$STAGE.tgz"   # make-gpu-bundle's own archive: this script packs the folder itself

echo "[ort-bundle] models with the linux-x86_64-gpu natives of ONNX Runtime"
# install (not package): copy-dependencies below resolves attention from the local repository,
# which a fresh machine does not have yet.
"${MVN[@]}" -pl app -am -DskipTests install
"${MVN[@]}" -pl models dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$STAGE/lib"
cp "$(ls models/target/models-*.jar | grep -v -e sources -e tests | head -n 1)" "$STAGE/lib/"
# The CLI (generate, compare) runs there too: the app jar; its other dependency, picocli, is already in lib.
cp "$(ls app/target/app-*.jar | grep -v -e sources -e tests | head -n 1)" "$STAGE/lib/"
# copy-dependencies resolves attention from the local repository; the freshly built jars win.
cp "$(ls attention/target/attention-*.jar | grep -v -e sources -e tests | head -n 1)" "$STAGE/lib/"
if ! ls "$STAGE"/lib/onnxruntime-*-linux-x86_64-gpu.jar >/dev/null 2>&1; then
  echo "[ort-bundle] ERROR: no onnxruntime linux-x86_64-gpu jar in $STAGE/lib" >&2; exit 1
fi
rm -f "$STAGE"/lib/onnxruntime-*-linux-x86_64.jar   # CPU-only natives: the -gpu jar holds the CPU EP too
# DJL's tokenizer jar carries natives for five platforms (56 MB unpacked); generation there needs linux-x86_64's only.
for jar in "$STAGE"/lib/tokenizers-*.jar; do
  zip -q -d "$jar" 'native/lib/win-*' 'native/lib/osx-*' 'native/lib/linux-aarch64/*'
done
for needed in dnnl-*-linux-x86_64.jar opencl-*-linux-x86_64.jar javacpp-*-linux-x86_64.jar; do
  ls "$STAGE"/lib/$needed >/dev/null 2>&1 || { echo "[ort-bundle] ERROR: $needed missing" >&2; exit 1; }
done
# Jars compress their natives with deflate; unpacked, xz packs them far tighter (a 20 MB slice of the CUDA
# provider library: 4.3 MB deflated, 2.3 MB xz), which saves several device calls. JavaCPP loads natives
# from a folder on the class path as well as from a jar (run-ort-gpu-bundle.sh puts lib/*.d there).
for jar in "$STAGE"/lib/onnxruntime-*-linux-x86_64-gpu.jar "$STAGE"/lib/dnnl-*-linux-x86_64.jar; do
  dir="${jar%.jar}.d"
  mkdir -p "$dir"
  (cd "$dir" && unzip -q "$jar")
  rm "$jar"
done
if [[ -n "${KEEP_SM:-}" ]]; then
  python3 models/scripts/keep_cuda_arch.py "$(find "$STAGE"/lib/onnxruntime-*-linux-x86_64-gpu.d -name 'libonnxruntime_providers_cuda.so')" "$KEEP_SM"
fi
mkdir -p "$STAGE/tests/models-classes"
cp -r models/target/test-classes/. "$STAGE/tests/models-classes/"
cp models/scripts/run-ort-gpu-bundle.sh models/scripts/unpack-ort-gpu-bundle.sh "$STAGE/"

echo "[ort-bundle] packing and splitting into $([[ -n "${PART_COUNT:-}" ]] && echo "$PART_COUNT equal parts" \
  || echo "parts of at most $PART_MB MB")"
rm -rf "$PARTS"
mkdir -p "$PARTS/all"
tar -C "$(dirname "$STAGE")" -cf - "$(basename "$STAGE")" | xz -T0 -6 >"$PARTS/all/bundle.tar.xz"
if [[ -n "${PART_COUNT:-}" ]]; then   # PART_COUNT=N: N parts of equal size instead of PART_MB each
  split -n "$PART_COUNT" -d -a 2 "$PARTS/all/bundle.tar.xz" "$PARTS/all/bundle.tar.xz.part-"
else
  split -b "${PART_MB}MB" -d -a 2 "$PARTS/all/bundle.tar.xz" "$PARTS/all/bundle.tar.xz.part-"
fi
rm "$PARTS/all/bundle.tar.xz"
# Each call carries the repository's tracked files too (64 MiB in all): say so here, not at the first refused call.
tracked=$(git ls-files -z | xargs -0 stat -c %s | awk '{s += $1} END {print s}')
largest=$(stat -c %s "$PARTS"/all/bundle.tar.xz.part-* | sort -n | tail -n 1)
if (( tracked + largest > 63 * 1024 * 1024 )); then
  echo "[ort-bundle] WARNING: tracked files $((tracked / 1048576)) MiB + a part of $((largest / 1048576)) MiB exceed what a" \
       "device call carries (64 MiB, less the kit); use more parts (PART_COUNT=$(( (${largest} * $(ls "$PARTS"/all/bundle.tar.xz.part-* | wc -l)) / (63 * 1048576 - tracked - 2097152) + 1 )))" >&2
fi
(cd "$PARTS/all" && sha256sum bundle.tar.xz.part-* >SHA256SUMS)
n=0
for part in "$PARTS"/all/bundle.tar.xz.part-*; do
  n=$((n + 1))
  dir=$(printf '%s/p%02d' "$PARTS" "$n")
  mkdir -p "$dir"
  mv "$part" "$dir/"
done
mv "$PARTS/all/SHA256SUMS" "$(printf '%s/p%02d' "$PARTS" "$n")/"   # travels with the last part
rmdir "$PARTS/all"

{
  echo "# Device calls for the ONNX GPU bundle ($n parts, made $(date -u +%Y-%m-%dT%H:%MZ))"
  echo
  echo "Run them back to back (the machine is given back ~30 s after a call), all on the same kind."
  echo "Each carry is one folder; the repository's tracked files travel with every call."
  echo
  for i in $(seq 1 "$n"); do
    p=$(printf 'p%02d' "$i")
    if [[ "$i" -lt "$n" ]]; then
      echo "$i. carry [\".gpu-bundle/ort-parts/$p\"], command:"
      echo "   \`mkdir -p /root/cache/ort && cp .gpu-bundle/ort-parts/$p/* /root/cache/ort/ && ls -l /root/cache/ort\`"
    else
      echo "$i. carry [\".gpu-bundle/ort-parts/$p\"], command:"
      echo "   \`bash models/scripts/run-ort-gpu-bundle.sh .gpu-bundle/ort-parts/$p\`"
    fi
  done
} >"$PARTS/CALLS.md"
du -sh "$STAGE" "$PARTS"/p* | sed 's/^/[ort-bundle] /'
cat "$PARTS/CALLS.md"
