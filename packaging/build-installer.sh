#!/usr/bin/env bash
# Builds the Linux x86-64 jpackage app image and the .deb from the reactor's jars, then reports sizes and start-up
# times. Run by `mvn -B -Pinstaller package` (packaging/pom.xml), which passes:
#   build-installer.sh <project version> <folder of runtime jars> <output folder> <JDK home> [xz|zstd|gzip]
# The last argument is the .deb's compression: xz (default, smallest), zstd (several times faster to build; dpkg
# 1.21.18+, i.e. Debian 12 and Ubuntu 21.10 or newer, read it) or gzip.
# Output: <output>/image/sagestudio (app image), <output>/sagestudio_<version>_amd64.deb, <output>/REPORT.txt.
set -euo pipefail

version=$1 jars=$2 out=$3 jdk=$4 compression=${5:-xz}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
name=sagestudio
install_dir=/opt/$name

say() { echo "[installer] $*" >&2; }
fail() { echo "[installer] ERROR: $*" >&2; exit 1; }
for tool in jlink jpackage jdeps; do [ -x "$jdk/bin/$tool" ] || fail "$jdk/bin/$tool not found (a full JDK 17+ is needed)"; done
[ -d "$jdk/jmods" ] || fail "$jdk/jmods not found: jlink needs the JDK's jmods (Debian: openjdk-17-jdk, not -headless)"
for tool in unzip zip dpkg-deb dpkg ldd readelf objdump strings; do
  command -v $tool >/dev/null || fail "$tool is missing (packaging/install-test-tools.sh installs it)"
done

# Versions: jpackage wants numbers only; Debian gets "~SNAPSHOT.<UTC time>" so a later snapshot upgrades an earlier
# one and the release (0.1.0) upgrades every snapshot of it.
numeric_version=${version%%-*}
if [[ $version == *-SNAPSHOT ]]; then
  deb_version="$numeric_version~SNAPSHOT.$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y%m%d%H%M%S)"
else
  deb_version=${version//-/\~}
fi

rm -rf "$out"
work=$out/work
input=$work/input            # becomes $APPDIR (lib/app) in the image
natives=$input/native         # every native library, loaded in place (java.library.path)
fx=$work/javafx              # JavaFX modular jars, natives taken out, for jlink
fx_natives=$work/javafx-natives
mkdir -p "$natives" "$fx" "$fx_natives"

# 1. Sort the jars: JavaFX goes into the runtime; the CPU-only ONNX Runtime natives give way to the -gpu ones.
main_jar=
for jar in "$jars"/*.jar; do
  base=$(basename "$jar")
  case "$base" in
    javafx-*-linux.jar) cp "$jar" "$fx/" ;;
    javafx-*.jar) ;;                                   # empty placeholders of the platform jars
    onnxruntime-*-linux-x86_64.jar) ;;                 # CPU EP only; the -gpu natives hold the CPU EP too
    app-"$version".jar) main_jar=$base; cp "$jar" "$input/" ;;
    *) cp "$jar" "$input/" ;;
  esac
done
[ -n "$main_jar" ] || fail "app-$version.jar is not among $jars"
ls "$input"/onnxruntime-*-linux-x86_64-gpu.jar >/dev/null || fail "the linux-x86_64-gpu ONNX Runtime natives are missing"

# 2. Natives: the Linux x86-64 ones are unpacked once into lib/app/native and every native library is taken out of
# the jars, so nothing is extracted at start-up and no other platform's libraries ship. JCuda keeps its driver API
# library only (our kernels use the driver API; the runtime, NVRTC and PTX compiler bindings are not used).
native_entry='\.(so(\.[0-9]+)*|dll|dylib|jnilib)$'
wanted_native='((^|/)linux-x86[-_]64(-gpu)?/|^lib/libJCudaDriver-[^/]*-linux-x86_64\.so$)'
for jar in "$input"/*.jar; do
  entries=$(unzip -Z1 "$jar" | grep -E "$native_entry" || true)
  [ -n "$entries" ] || continue
  keep=$(grep -E "$wanted_native" <<<"$entries" || true)
  for entry in $keep; do
    file=$natives/$(basename "$entry")
    [ -e "$file" ] && fail "two jars hold $(basename "$entry") (second: $(basename "$jar"))"
    unzip -q -p "$jar" "$entry" >"$file"
  done
  # shellcheck disable=SC2086  # one argument per entry
  zip -q -d "$jar" $entries >/dev/null
done
chmod 0644 "$natives"/*

# The installed app's doctor names the CUDA libraries ONNX Runtime's CUDA EP links; check that list is still right.
needed_cuda=$(LC_ALL=C readelf -d "$natives/libonnxruntime_providers_cuda.so" \
  | sed -n 's/.*NEEDED.*\[\(lib\(cu\|nv\)[^]]*\)\].*/\1/p' | sort)
doctor_list=$(unzip -p "$input/$main_jar" dev/sagestudio/app/doctor/GpuPathCheck.class | strings \
  | grep -E '^lib(cu|nv)[A-Za-z]*\.so\.[0-9]+$' | sort -u || true)
if [ "$needed_cuda" != "$doctor_list" ]; then
  fail "libonnxruntime_providers_cuda.so needs [$(echo $needed_cuda)] but doctor checks [$(echo $doctor_list)]:"\
" update GpuPathCheck.CUDA_EP_LIBRARIES"
fi

# 3. JavaFX: natives out of the modular jars into the runtime's lib folder, where JavaFX looks first for jlinked
# modules (so it never extracts them into ~/.openjfx).
for jar in "$fx"/*.jar; do
  entries=$(unzip -Z1 "$jar" | grep -E "$native_entry" || true)
  [ -n "$entries" ] || continue
  for entry in $entries; do unzip -q -p "$jar" "$entry" >"$fx_natives/$(basename "$entry")"; done
  # shellcheck disable=SC2086
  zip -q -d "$jar" $entries >/dev/null
done
fx_modules=$(for jar in "$fx"/*.jar; do "$jdk/bin/jar" --describe-module --file "$jar" | sed -n 1p | sed 's/@.*//'; done \
  | paste -sd, -)

# 4. The runtime: the JDK modules the classpath needs (jdeps) plus the few only reached by reflection or service
# loading, and JavaFX.
say "jdeps: finding the JDK modules the app needs"
classpath=$(ls "$input"/*.jar | grep -v -F "/$main_jar" | paste -sd: -)
jdk_modules=$("$jdk/bin/jdeps" --multi-release 17 --ignore-missing-deps --print-module-deps --module-path "$fx" \
  --class-path "$classpath" "$input/$main_jar" | tail -n 1)
[ -n "$jdk_modules" ] || fail "jdeps printed no modules"
# jdk.unsupported: sun.misc.Unsafe for protobuf, JNA and JavaCPP; jdk.zipfs: zip file systems; jdk.localedata left out.
modules=$(tr , '\n' <<<"$jdk_modules,jdk.unsupported,jdk.zipfs,$fx_modules" | sort -u | paste -sd, -)
say "jlink: $modules"
"$jdk/bin/jlink" --module-path "$jdk/jmods:$fx" --add-modules "$modules" --output "$work/runtime" \
  --strip-debug --no-header-files --no-man-pages   # bin/java stays: packaging/test-installed.sh runs a JavaFX check
cp "$fx_natives"/* "$work/runtime/lib/"

# 5. The app image: bundled models next to the jars (found through -Dsagestudio.home=$APPDIR).
mkdir -p "$input/models/bundled"
cp -r "$repo"/models/bundled/* "$input/models/bundled/"
say "jpackage: app image"
# Natives load in place: java.library.path for JavaCPP (pathsFirst, no cache), JCuda and JavaFX; JNA's and the DJL
# tokenizer's own properties for theirs. jna.nounpack makes a missing library an error instead of an extraction.
"$jdk/bin/jpackage" --type app-image --name "$name" --dest "$out/image" --app-version "$numeric_version" \
  --input "$input" --main-jar "$main_jar" --runtime-image "$work/runtime" --icon "$here/src/linux/sagestudio.png" \
  --description "Diffusion image and video generation with quantized SageAttention kernels" \
  --vendor "SageStudio" --copyright "SageStudio contributors" \
  --java-options '-Dsagestudio.home=$APPDIR' \
  --java-options '-Djava.library.path=$APPDIR/native' \
  --java-options '-Dorg.bytedeco.javacpp.pathsFirst=true' \
  --java-options '-Dorg.bytedeco.javacpp.cacheLibraries=false' \
  --java-options '-Djna.boot.library.path=$APPDIR/native' \
  --java-options '-Djna.nounpack=true' \
  --java-options '-DRUST_LIBRARY_PATH=$APPDIR/native/libtokenizers.so'
image=$out/image/$name
[ -x "$image/bin/$name" ] || fail "jpackage made no launcher at $image/bin/$name"

# 6. The .deb: the image under /opt, the launcher on PATH, a desktop entry and an icon. Every file belongs to the
# package (no maintainer scripts), so removing it leaves nothing behind.
say "dpkg-deb: package $deb_version"
root=$work/deb
mkdir -p "$root$install_dir" "$root/usr/bin" "$root/usr/share/applications" \
  "$root/usr/share/icons/hicolor/256x256/apps" "$root/usr/share/doc/$name" "$root/DEBIAN"
cp -a "$image/." "$root$install_dir/"
ln -s "../..$install_dir/bin/$name" "$root/usr/bin/$name"
install -m 0644 "$here/src/linux/sagestudio.desktop" "$root/usr/share/applications/$name.desktop"
install -m 0644 "$here/src/linux/sagestudio.png" "$root/usr/share/icons/hicolor/256x256/apps/$name.png"
install -m 0644 "$here/src/linux/copyright" "$root/usr/share/doc/$name/copyright"
find "$root" -type d -exec chmod 0755 {} +
find "$root$install_dir" -type f -exec chmod u+rw,go+r,go-w {} +

# Depends: the packages holding the libraries the image's natives and launchers name directly (DT_NEEDED), resolved
# as the dynamic loader does here. The CUDA libraries and the driver stay optional: doctor explains them, and Suggests
# names the CUDA 13 packages of NVIDIA's apt repository.
elf_files=$(find "$root$install_dir" -type f \( -name '*.so' -o -name '*.so.*' -o -perm -u+x \) \
  ! -name libonnxruntime_providers_cuda.so ! -name 'libJCudaDriver-*')
linked=$(for f in $elf_files; do
           needed=$(LC_ALL=C readelf -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
           [ -n "$needed" ] || continue
           ldd "$f" 2>/dev/null | awk -v want=" $(echo $needed) " '$2 == "=>" && $3 ~ /^\// && index(want, " " $1 " ") {print $3}'
         done | grep -v -F "$root" | sort -u)
owners=()
for lib in $linked; do
  # dpkg's database may name the /lib path or the /usr/lib one (merged /usr)
  owner=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$(realpath "$lib")" 2>/dev/null) \
    || fail "no Debian package holds $lib, which the image links to"
  owners+=("${owner%%:*}")
done
glibc=$(find "$root$install_dir" -type f -name '*.so*' -print0 | xargs -0 objdump -T 2>/dev/null \
  | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n 1)
depends=$(printf '%s\n' "${owners[@]}" | sort -u | sed "s/^libc6\$/libc6 (>= $glibc)/" | paste -sd, - | sed 's/,/, /g')
installed_kb=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<EOF
Package: $name
Version: $deb_version
Architecture: amd64
Maintainer: SageStudio contributors <sagestudio@users.noreply.github.com>
Installed-Size: $installed_kb
Depends: $depends
Suggests: cuda-cudart-13-0, libcublas-13-0, libcufft-13-0, libcudnn9-cuda-13
Section: graphics
Priority: optional
Homepage: https://github.com/sagestudio/sagestudio
Description: diffusion image and video generation with quantized SageAttention
 SageStudio generates images and short videos with diffusion transformers and
 runs their attention through quantized SageAttention CUDA kernels, every other
 layer in ONNX Runtime. Without an NVIDIA GPU it runs on the CPU.
 .
 Run "sagestudio doctor" to see what the GPU path needs on this machine.
EOF
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | xargs -0 md5sum >DEBIAN/md5sums)
deb=$out/${name}_${deb_version}_amd64.deb
dpkg-deb --root-owner-group "-Z$compression" -b "$root" "$deb" >/dev/null

# 7. Report: sizes and start-up, measured here on the image just built.
bash "$here/report-installer.sh" "$image" "$deb" | tee "$out/REPORT.txt" >&2
say "done: $deb"
