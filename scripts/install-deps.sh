#!/usr/bin/env bash
# scripts/install-deps.sh — the Debian packages tssandbox's build and tests need (run as root)
#   build:  a C compiler with static glibc (the launcher, the demo image, test fixtures)
#   tests:  busybox-static and mmdebstrap (fixture root filesystems), uidmap, bubblewrap,
#           libseccomp-dev (a test-only filter writer), zstd (zstd layers), nftables + procps (lab
#           networks: masquerade, pgrep in the network tests), podman + runc (save →
#           podman load interop; podman depends on golang-github-containers-common, whose
#           /usr/share/containers/seccomp.json test/policy/seccomp-kernel-podman.test.ts compiles), attr, iproute2, util-linux, xz-utils and lz4 (the scanner reads apt
#           lists in every compression), clamav (the scanner's clamscan check, tested with a
#           self-made signature file), qemu-system-x86 and linux-image-amd64 (the cgroup v2 lane
#           boots Debian's kernel with only cgroup2 mounted; e2fsprogs makes its ext4 disk), rpm and
#           db5.3-util (the scanner's rpmdb fixtures: sqlite, BDB and NDB databases), conmon (podman
#           driving tssandbox as its OCI runtime), containerd (ctr run through the runc.v2 shim
#           with tssandbox as its runc binary), uidmap + slirp4netns + iproute2 + util-linux (rootless
#           mode: newuidmap/newgidmap map the user's ranges, slirp4netns carries -p, ip via nsenter
#           shapes its tap0; test/sandbox/rootless.test.ts)
#   bench:  crun, runc, bubblewrap, podman as peers; libseccomp-dev for the libseccomp comparison
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
pkgs=(build-essential libc6-dev make busybox-static mmdebstrap uidmap bubblewrap libseccomp-dev zstd
      podman runc crun attr iproute2 nftables procps util-linux slirp4netns python3 xz-utils lz4 clamav qemu-system-x86 linux-image-amd64
      e2fsprogs rpm db5.3-util conmon containerd)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
