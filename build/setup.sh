#!/usr/bin/env bash
# One-time machine setup for densescale, idempotent: a WebGPU driver for machines without a GPU (Mesa 25
# lavapipe from bookworm-backports; Debian 12's own Mesa 22.3 is rejected by Dawn), the Vulkan loader,
# Debian's Chromium for the browser tests, and the npm dependencies. Fast when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "setup: need root for: $*" >&2; return 1; fi
}

mesa_ok() {
  # Dawn needs lavapipe from Mesa >= 23 (RUNTIME.md §1); a real GPU driver also satisfies WebGPU.
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  [ -n "$v" ] && dpkg --compare-versions "$v" ge 23
}

if command -v apt-get >/dev/null && [ -r /etc/debian_version ]; then
  need=()
  mesa_ok || need+=(mesa)
  dpkg-query -W -f='${Status}' libvulkan1 2>/dev/null | grep -q 'ok installed' || need+=(libvulkan1)
  command -v chromium >/dev/null || need+=(chromium)
  if [ ${#need[@]} -gt 0 ]; then
    echo "setup: installing ${need[*]} (apt)"
    export DEBIAN_FRONTEND=noninteractive
    if ! mesa_ok; then
      codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
      if [ "$codename" = bookworm ]; then
        echo "deb http://deb.debian.org/debian bookworm-backports main" | as_root tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
        as_root apt-get update -qq
        as_root apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers >/dev/null
      else
        as_root apt-get update -qq
        as_root apt-get install -y -qq mesa-vulkan-drivers >/dev/null
      fi
    else
      as_root apt-get update -qq
    fi
    as_root apt-get install -y -qq libvulkan1 chromium >/dev/null
  fi
else
  echo "setup: not a Debian-like system; make sure a WebGPU-capable driver (Vulkan/Metal/D3D12) and Chromium are installed" >&2
fi

# npm dependencies: install when missing or older than the lockfile.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build >/dev/null
echo "setup: ready"
