#!/usr/bin/env bash
# Assembles a self-contained folder that runs the GPU tests and benchmarks on a machine with an NVIDIA
# driver but no Java and no Maven: the attention jar (with the kernel fatbin), its runtime dependencies,
# the app and models jars (the app's gpu-info and gpu-bench commands; the models code loads only if a
# command needs it, and this bundle leaves its ONNX Runtime and tokenizer natives out), picocli, the
# test classes, the JUnit console launcher, a jlink'ed minimal Java runtime, and run-gpu.sh.
#
#   usage: attention/scripts/make-gpu-bundle.sh [--allow-no-kernels] [output-dir]
#   default output: .gpu-bundle/sagestudio-gpu (and .gpu-bundle/sagestudio-gpu.tgz) under the repo root
#
# Needs here: JDK 17+ with jmods (for jlink), Maven, network or a filled ~/.m2, nvcc for the kernels.
set -euo pipefail
ALLOW_NO_KERNELS=false
if [[ "${1:-}" == "--allow-no-kernels" ]]; then ALLOW_NO_KERNELS=true; shift; fi
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${1:-$ROOT/.gpu-bundle/sagestudio-gpu}
JUNIT_CONSOLE_VERSION=1.11.4   # the JUnit Platform release that goes with JUnit Jupiter 5.11.4 (parent pom)
MVN=(mvn -B -q)
[[ "${MAVEN_OFFLINE:-}" == "1" ]] && MVN+=(-o)

cd "$ROOT"
echo "[bundle] building attention, models and app (jars) and the attention test classes"
"${MVN[@]}" -pl app -am -DskipTests package
"${MVN[@]}" -pl attention -DskipTests test-compile

JAR=$(ls attention/target/attention-*.jar | grep -v -e sources -e tests | head -n 1)
# grep without -q reads the whole listing: with -q it may exit first, and unzip's SIGPIPE fails the pipe (pipefail)
if ! unzip -l "$JAR" | grep 'dev/sagestudio/attention/gpu/sagestudio_kernels.fatbin' >/dev/null; then
  if [[ "$ALLOW_NO_KERNELS" != true ]]; then
    echo "[bundle] ERROR: $JAR holds no kernel fatbin (nvcc missing when it was built?)." >&2
    echo "[bundle]        Install CUDA 12.8+ (nvcc) and rebuild, or pass --allow-no-kernels." >&2
    exit 1
  fi
  echo "[bundle] WARNING: no kernel fatbin in $JAR; the GPU backends will say so"
fi

rm -rf "$OUT"
mkdir -p "$OUT/lib" "$OUT/tests"
cp "$JAR" "$OUT/lib/"
for module in models app; do
  cp "$(ls $module/target/$module-*.jar | grep -v -e sources -e tests | head -n 1)" "$OUT/lib/"
done
"${MVN[@]}" -pl attention dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$OUT/lib"
# The app's command line parser (the app's other dependencies are the models code's, not needed here).
PICOCLI_VERSION=$(sed -n 's:.*<picocli.version>\(.*\)</picocli.version>.*:\1:p' pom.xml)
"${MVN[@]}" dependency:copy -Dartifact=info.picocli:picocli:$PICOCLI_VERSION -DoutputDirectory="$OUT/lib"
# We use the driver API only: drop JCuda's NVRTC and PTX-compiler natives (about 8 MB compressed).
if command -v zip >/dev/null; then
  zip -q -d "$OUT"/lib/jcuda-natives-*.jar 'lib/libJNvPTXCompiler-*' 'lib/libJNvrtc-*' || true
fi
"${MVN[@]}" dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:$JUNIT_CONSOLE_VERSION \
  -DoutputDirectory="$OUT/tests"
# A folder, not a jar: scanning a jar needs the jdk.zipfs module, which the minimal runtime leaves out.
cp -r attention/target/test-classes "$OUT/tests/classes"

echo "[bundle] jlink: minimal Java runtime"
JLINK=${JAVA_HOME:+$JAVA_HOME/bin/}jlink
command -v "$JLINK" >/dev/null || JLINK=/usr/lib/jvm/java-17-openjdk-amd64/bin/jlink
# JLINK_MODULES: callers bundling more than the attention module (models/scripts/make-ort-gpu-bundle.sh) add modules.
# java.desktop: picocli reflects over every app subcommand when the CLI starts (gpu-info, gpu-bench), and
# some of them have java.awt.image types in their signatures (without it: NoClassDefFoundError RenderedImage).
"$JLINK" --add-modules "${JLINK_MODULES:-java.base,java.logging,jdk.unsupported,java.desktop}" --compress=2 --strip-debug --no-man-pages \
  --no-header-files --output "$OUT/jre"

cat >"$OUT/run-gpu.sh" <<'RUN'
#!/usr/bin/env bash
# Runs the GPU tests and/or the Java GPU benchmark with the bundled Java runtime.
#   ./run-gpu.sh tests [extra JUnit console options]   gpu-tagged tests; a missing GPU or kernels FAILS here
#   ./run-gpu.sh all-tests                             every test of the attention module
#   ./run-gpu.sh bench --out FILE [gpu-bench options]  the benchmark (./run-gpu.sh bench --help)
#   ./run-gpu.sh info                                  what the driver reports
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
JAVA="$HERE/jre/bin/java"
# Spelled out: the JUnit console launcher does not expand "lib/*" the way java -cp does.
CP=$(printf '%s:' "$HERE"/lib/*.jar); CP=${CP%:}
JVM_OPTS=(-Xmx${SAGESTUDIO_HEAP:-8g} -Djava.io.tmpdir="${TMPDIR:-/tmp}")
CONSOLE=$(ls "$HERE"/tests/junit-platform-console-standalone-*.jar)
mode=${1:-tests}; shift || true
case "$mode" in
  tests)
    exec "$JAVA" "${JVM_OPTS[@]}" -Dsagestudio.gpu.required=true -jar "$CONSOLE" execute \
      --class-path "$HERE/tests/classes:$CP" --scan-class-path "$HERE/tests/classes" \
      --include-tag gpu --details=summary --disable-banner "$@" ;;
  all-tests)
    exec "$JAVA" "${JVM_OPTS[@]}" -jar "$CONSOLE" execute \
      --class-path "$HERE/tests/classes:$CP" --scan-class-path "$HERE/tests/classes" \
      --details=summary --disable-banner "$@" ;;
  bench)
    exec "$JAVA" "${JVM_OPTS[@]}" -cp "$CP" dev.sagestudio.app.cli.SageStudioCli gpu-bench "$@" ;;
  info)
    exec "$JAVA" "${JVM_OPTS[@]}" -cp "$CP" dev.sagestudio.app.cli.SageStudioCli gpu-info "$@" ;;
  *) echo "usage: $0 tests|all-tests|bench|info [options]" >&2; exit 2 ;;
esac
RUN
chmod +x "$OUT/run-gpu.sh"

tar -C "$(dirname "$OUT")" -czf "$OUT.tgz" "$(basename "$OUT")"
echo "[bundle] $OUT ($(du -sh "$OUT" | cut -f1)), archive $OUT.tgz ($(du -h "$OUT.tgz" | cut -f1))"
