#!/usr/bin/env bash
# Runs on the GPU machine (no Java, Maven or network needed): joins the .deb from the parts carried in earlier calls
# (/root/cache/sagestudio) and this call's folder, unpacks it as dpkg would install it, and from the installed
# launcher with an empty HOME runs: doctor as the system stands, doctor with the CUDA 13 libraries on
# LD_LIBRARY_PATH, a GPU generation (sage-int8-fp16 kernels, ONNX Runtime's CUDA EP) and a CPU one; measures the
# CUDA libraries' sizes there. Writes summary.txt and the outputs to $OUT.
#   bash check-on-gpu.sh <folder with the last part, SHA256SUMS and this script>
set -uo pipefail
last=$1 cache=/root/cache/sagestudio out=${OUT:-/tmp/sagestudio-check}
mkdir -p "$cache" "$out"
cp "$last"/part.* "$cache/"
deb_name=$(awk '{ print $2 }' "$last/SHA256SUMS")
cat "$cache"/part.* >"/tmp/$deb_name"
summary=$out/summary.txt
(cd /tmp && sha256sum -c "$OLDPWD/$last/SHA256SUMS") >"$summary" 2>&1 \
  || { echo "parts missing or damaged (was the machine given back between calls?): $(ls "$cache")" >>"$summary"; cat "$summary"; exit 1; }
root=/tmp/sagestudio-root; rm -rf "$root"; mkdir -p "$root"
if command -v dpkg-deb >/dev/null; then
  dpkg-deb -x "/tmp/$deb_name" "$root"
else # a .deb is an ar archive holding data.tar.*
  python3 - "/tmp/$deb_name" "$root" <<'PY'
import sys, tarfile, io
data = open(sys.argv[1], 'rb').read(); pos = 8
while pos < len(data):
    name = data[pos:pos + 16].decode().strip().rstrip('/'); size = int(data[pos + 48:pos + 58]); body = data[pos + 60:pos + 60 + size]
    if name.startswith('data.tar'):
        tarfile.open(fileobj=io.BytesIO(body)).extractall(sys.argv[2])
    pos += 60 + size + (size % 2)
PY
fi
launcher=$root/opt/sagestudio/bin/sagestudio
home=$(mktemp -d)
cuda_dirs=/usr/local/cuda/lib64:/usr/lib/x86_64-linux-gnu
pip_dirs=$(python3 -c 'import glob, nvidia, os; print(":".join(sorted(glob.glob(os.path.join(list(nvidia.__path__)[0], "*", "lib")))))' 2>/dev/null || true)
libs=$cuda_dirs${pip_dirs:+:$pip_dirs}
ms() { date +%s%3N; }
{
  echo "== $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>&1)"
  echo "== installed size: $(du -sh "$root/opt/sagestudio" | cut -f1)"
  echo "== doctor, system as it stands"; HOME=$home "$launcher" doctor 2>&1 | tail -n 3
  echo "== doctor with LD_LIBRARY_PATH=$libs"
  HOME=$home LD_LIBRARY_PATH=$libs "$launcher" doctor --require-gpu-path >"$out/doctor-cuda-libs.txt" 2>&1
  echo "exit $? (0: kernels and CUDA EP on the GPU)"; tail -n 1 "$out/doctor-cuda-libs.txt"
  start=$(ms)
  HOME=$home LD_LIBRARY_PATH=$libs "$launcher" generate "a red heart, twemoji style" --seed 7 --backend sage-int8-fp16 \
    -o "$out/heart-gpu-sage-int8-fp16.png" >"$out/generate-gpu.txt" 2>&1
  echo "== GPU generate (sage-int8-fp16): exit $?, $(( $(ms) - start )) ms from launch"; grep -v -i denois "$out/generate-gpu.txt" | tail -n 8
  start=$(ms)
  HOME=$home "$launcher" generate "a red heart, twemoji style" --seed 7 -o "$out/heart-cpu.png" >/dev/null 2>&1
  echo "== CPU generate (default backend): exit $?, $(( $(ms) - start )) ms from launch"
  echo "== files the runs left under HOME: $(cd "$home" && find . -mindepth 1 | sed -n 1,10p | paste -sd' ' -)"
  echo "== CUDA 13 libraries here that the CUDA EP needs (sizes, for shipping them or not)"
  for lib in libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcufft.so.12 'libcudnn*.so.9'; do
    for dir in ${libs//:/ }; do found=$(ls $dir/$lib 2>/dev/null) && { echo "$found"; break; }; done
  done | sort -u | xargs -r du -L -b | awk '{ s += $1; printf "  %8.1f MiB  %s\n", $1 / 1048576, $2 } END { printf "  %8.1f MiB  in all\n", s / 1048576 }'
} >>"$summary" 2>&1
HOME=$home "$launcher" doctor >"$out/doctor-plain.txt" 2>&1
cat "$summary"
