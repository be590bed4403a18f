#!/usr/bin/env bash
# Cuts a built .deb into parts small enough to carry to the team's GPU machine one call at a time, and writes the
# calls to make: split-for-device.sh <sagestudio_*.deb> <folder inside the lead's checkout> [MiB per part, default 19]
# Each part gets its own folder pNN/ (carry one per call); the last one also holds SHA256SUMS and check-on-gpu.sh.
set -euo pipefail
deb=$(realpath "$1") dest=$2 mib=${3:-19}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$dest"; mkdir -p "$dest"
split -b "${mib}M" -d -a 2 "$deb" "$dest/part."
parts=("$dest"/part.*)
for part in "${parts[@]}"; do
  n=${part##*.}; mkdir -p "$dest/p$n"; mv "$part" "$dest/p$n/"
done
last=$dest/p${parts[-1]##*.}
(cd "$(dirname "$deb")" && sha256sum "$(basename "$deb")") >"$last/SHA256SUMS"
cp "$here/check-on-gpu.sh" "$last/"
rel=${dest#"$(git -C "$dest" rev-parse --show-toplevel)/"}
{
  echo "# Checking $(basename "$deb") on the GPU machine: ${#parts[@]} calls, back to back, same machine kind"
  echo
  for part in "${parts[@]}"; do
    n=${part##*.}
    if [ "$dest/p$n" != "$last" ]; then
      echo "carry [\"$rel/p$n\"]  command: mkdir -p /root/cache/sagestudio && cp $rel/p$n/part.* /root/cache/sagestudio/"
    else
      echo "carry [\"$rel/p$n\"]  command: bash $rel/p$n/check-on-gpu.sh $rel/p$n"
    fi
  done
} >"$dest/CALLS.md"
cat "$dest/CALLS.md"
