# Sourced (not run) on the GPU machine by run-ort-gpu-bundle.sh and bench-real-shapes.sh, in the last of
# the device calls: moves the last part ($LAST) next to the earlier ones in $CACHE, checks every part
# against SHA256SUMS (into $RESULTS/parts.txt), unpacks the bundle, and sets B (its folder), JAVA, CP (the
# class path), CONSOLE (the JUnit console jar), JVM (options) and LD_LIBRARY_PATH (CUDA 13 and cuDNN 9).
# A later call on the same warm machine may give LAST=$CACHE: the bundle unpacked by an earlier call is
# used again as it is when its parts' checksums still match.
# Returns 1, saying why, where a part is missing or damaged.
if [[ "$(cd "$LAST" && pwd -P)" != "$(cd "$CACHE" && pwd -P)" ]]; then
  cp "$LAST"/* "$CACHE/" || { echo "cannot copy $LAST into $CACHE" >&2; return 1; }
fi
cd "$CACHE"
if ! sha256sum -c SHA256SUMS >"$RESULTS/parts.txt" 2>&1; then
  echo "parts missing or damaged (was every earlier call run on this warm machine?):" >&2
  cat "$RESULTS/parts.txt" >&2
  ls -l "$CACHE" >&2
  return 1
fi
if ! cmp -s SHA256SUMS bundle/.unpacked-from 2>/dev/null; then
  rm -rf bundle && mkdir bundle
  unxz_stream() {
    if command -v xz >/dev/null; then xz -d; else
      python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.stdin.buffer), sys.stdout.buffer)'
    fi
  }
  cat bundle.tar.xz.part-* | unxz_stream | tar -x -C bundle || { echo "unpacking the bundle failed" >&2; return 1; }
  cp SHA256SUMS bundle/.unpacked-from
fi
B=$CACHE/bundle/sagestudio-ort-gpu
JAVA=$B/jre/bin/java
# lib/*.d: native jars unpacked by make-ort-gpu-bundle.sh (JavaCPP loads from folders too).
CP=$(printf '%s:' "$B"/lib/*.jar "$B"/lib/*.d); CP=${CP%:}
CONSOLE=$(ls "$B"/tests/junit-platform-console-standalone-*.jar)
# ONNX Runtime's CUDA EP loads cuBLAS/cuBLASLt/cuFFT (CUDA 13 toolkit) and cuDNN 9 by name.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
JVM=(-Xmx16g -Djava.io.tmpdir=/tmp -Dorg.bytedeco.javacpp.cachedir=$CACHE/javacpp)
