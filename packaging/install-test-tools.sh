#!/usr/bin/env bash
# Installs what building the installers and packaging/test-installed.sh need on a Debian/Ubuntu machine (as root;
# nothing is installed when everything is already there): dpkg-deb/binutils/zip for the build, Xvfb and the X
# utilities for the window test, netpbm to turn the screenshot into a PNG.
set -euo pipefail
needed=()
have() { command -v "$1" >/dev/null; }
have dpkg-deb || needed+=(dpkg)
have readelf || needed+=(binutils)
have zip || needed+=(zip)
have unzip || needed+=(unzip)
have Xvfb || needed+=(xvfb)
have xwininfo || needed+=(x11-utils)
have xwd || needed+=(x11-apps)
have xwdtopnm || needed+=(netpbm)
have unshare || needed+=(util-linux)
if [ ${#needed[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${needed[*]}" >&2
sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
