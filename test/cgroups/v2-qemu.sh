#!/bin/sh
# test/cgroups/v2-qemu.sh — the cgroup v2 lane: boot Debian's kernel under qemu with only cgroup2 mounted (host, root; boots a guest)
#
# This host is hybrid (v1 controllers, a controller-less cgroup2), so the v2 backend is tested for
# real in a guest. The guest is a busybox-static initramfs that
#   1. exercises, in busybox sh, the same cgroup2 file operations the v2 backend performs
#      (subtree_control, memory.max, memory.swap.max, memory.oom.group, cpu.max, pids.max,
#      cgroup.procs, pids.events, memory.events oom_kill, cgroup.freeze, cgroup.kill, rmdir);
#   2. mounts the host's root filesystem read-only over 9p and runs the compiled test files in
#      $TSS_V2_TESTS (default: the cgroup files that touch the kernel, discover and host, and
#      dist/test/sandbox/run-quotas.test.js, whose containers run under pids/memory/cpu limits)
#      with the host's node inside it, as root, on cgroup2 only.
# Containers run in the guest: the image store and run root live under the guest's /tmp, an ext4
# disk made here with mke2fs (virtio-blk). 9p cannot carry idmapped mounts, and tmpfs only can from
# Linux 6.3 while Debian 12's kernel is 6.1; ext4 can since 5.12, and overlayfs takes idmapped
# lower layers since 5.19.
# Output: the guest's console; the last line is "TSS-V2-RESULT pass" or "TSS-V2-RESULT fail".
# Exit status: 0 pass, 1 fail, 77 cannot run here (the reason on stderr).
#
# Needs: qemu-system-x86_64, /dev/kvm (falls back to TCG, slowly), busybox-static, e2fsprogs, and a Debian
# kernel: the linux-image-amd64 package's /boot/vmlinuz-* and /lib/modules/* (9p is a module).
# Without installing it on the host:   cd DIR && apt-get download linux-image-6.1.0-NN-amd64 &&
# dpkg-deb -x linux-image-*.deb root   then TSS_QEMU_KERNEL_ROOT=DIR/root.
# Knobs: TSS_QEMU_ACCEL (e.g. "-accel tcg -cpu max"), TSS_QEMU_TIMEOUT (s, whole boot), TSS_QEMU_MEM
# (MiB), TSS_QEMU_SMP, TSS_V2_TESTS (globs under the repo), TSS_V2_FILE_TIMEOUT (s per file),
# TSS_V2_SHELL_CHECKS=0 (skip part 1), TSS_V2_GUEST (another guest script, for debugging).
set -eu

REPO=$(cd "$(dirname "$0")/../.." && pwd)
KROOT=${TSS_QEMU_KERNEL_ROOT:-/}
QEMU=${QEMU:-qemu-system-x86_64}
BUSYBOX=${BUSYBOX:-/bin/busybox}
[ -x "$BUSYBOX" ] || BUSYBOX=/usr/bin/busybox

skip() { echo "v2-qemu: cannot run: $*" >&2; exit 77; }
command -v "$QEMU" >/dev/null 2>&1 || skip "$QEMU not installed (apt-get install qemu-system-x86)"
[ -x "$BUSYBOX" ] || skip "busybox not found (apt-get install busybox-static)"
file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' || ldd "$BUSYBOX" 2>&1 | grep -q 'not a dynamic' || skip "$BUSYBOX is not static (busybox-static)"
KERNEL=$(ls "$KROOT"/boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$KERNEL" ] || skip "no Debian kernel in $KROOT/boot (install linux-image-amd64 or set TSS_QEMU_KERNEL_ROOT)"
KVER=${KERNEL##*/vmlinuz-}
MODDIR=$KROOT/lib/modules/$KVER
[ -d "$MODDIR" ] || skip "no modules for $KVER in $MODDIR"
[ -d "$REPO/dist/test/cgroups" ] || skip "dist/test/cgroups missing (npx tsc -p . first)"
MKE2FS=$(command -v mke2fs || echo /sbin/mke2fs)
[ -x "$MKE2FS" ] || skip "mke2fs not found (apt-get install e2fsprogs)"
# the test files that read or write the kernel's cgroups; fake-tree and limits run on fake trees
# and plans, the same on any kernel, and each file costs ~20 s of emulated node+tap start-up, so
# they stay on the host lane unless named here (the lane must stay well under 4 minutes)
TESTS=${TSS_V2_TESTS:-dist/test/cgroups/discover.test.js dist/test/cgroups/host.test.js dist/test/sandbox/run-quotas.test.js}

WORK=$(mktemp -d /tmp/tss-v2-qemu.XXXXXX)
trap 'rm -rf "$WORK"' EXIT INT TERM
mkdir -p "$WORK/initrd/bin" "$WORK/initrd/modules" "$WORK/initrd/proc" "$WORK/initrd/sys" "$WORK/initrd/dev" "$WORK/initrd/host"
cp "$BUSYBOX" "$WORK/initrd/bin/busybox"
# 9p and virtio-blk over virtio-pci, ext4 and overlayfs, in dependency order (Debian builds them
# as modules; `modprobe -S VER --show-depends ext4` lists the same)
MODS="drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci fs/netfs/netfs fs/fscache/fscache net/9p/9pnet net/9p/9pnet_virtio fs/9p/9p"
MODS="$MODS drivers/block/virtio_blk lib/crc16 crypto/crc32c_generic fs/mbcache fs/jbd2/jbd2 fs/ext4/ext4 fs/overlayfs/overlay"
for m in $MODS; do
  for ext in ko ko.xz ko.zst; do
    if [ -f "$MODDIR/kernel/$m.$ext" ]; then
      case $ext in
        ko) cp "$MODDIR/kernel/$m.ko" "$WORK/initrd/modules/" ;;
        ko.xz) xz -dc "$MODDIR/kernel/$m.ko.xz" > "$WORK/initrd/modules/${m##*/}.ko" ;;
        ko.zst) zstd -qdc "$MODDIR/kernel/$m.ko.zst" > "$WORK/initrd/modules/${m##*/}.ko" ;;
      esac
    fi
  done
done
echo "$MODS" > "$WORK/initrd/modules/order"
NODE=$(command -v node || true)
cp "${TSS_V2_GUEST:-$REPO/test/cgroups/v2-guest.sh}" "$WORK/initrd/guest.sh"
cat > "$WORK/initrd/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin REPO='$REPO' NODE='$NODE' TESTS='$TESTS' SHELL_CHECKS='${TSS_V2_SHELL_CHECKS:-1}' FILE_TIMEOUT='${TSS_V2_FILE_TIMEOUT:-240}'
exec sh /guest.sh
EOF
chmod +x "$WORK/initrd/init"
(cd "$WORK/initrd" && find . | "$BUSYBOX" cpio -o -H newc 2>/dev/null) > "$WORK/initrd.cpio"
# the guest's /tmp: a sparse ext4 image (a few MiB on disk until the guest writes to it)
truncate -s 4G "$WORK/scratch.img"
"$MKE2FS" -q -F -t ext4 -O ^has_journal -E lazy_itable_init=1,lazy_journal_init=1 "$WORK/scratch.img" || skip "mke2fs failed"

# KVM first; nested KVM can open /dev/kvm and still not run a guest (on this Firecracker host
# `-cpu max` dies at once setting MSR 0x10a and every other CPU model hangs before the banner), so
# a bare boot must print the kernel banner within 20 s, else TCG (slower, same kernel, same result;
# -cpu max there makes emulated node about twice as fast as the default qemu64)
ACCEL=${TSS_QEMU_ACCEL:-}
if [ -z "$ACCEL" ]; then
  ACCEL="-accel tcg -cpu max"
  if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
    # shellcheck disable=SC2086
    if timeout 20 "$QEMU" -accel kvm -cpu max -m 256 -nographic -no-reboot -kernel "$KERNEL" \
        -append "console=ttyS0 panic=-1" -serial mon:stdio < /dev/null 2>/dev/null | grep -q 'Linux version'; then
      ACCEL="-accel kvm -cpu max"
    else
      echo "v2-qemu: KVM did not boot the guest within 20 s; using TCG" >&2
    fi
  fi
fi
# cgroup_no_v1=all: the v1 controllers cannot be mounted at all, so this is a v2-only host
# shellcheck disable=SC2086
timeout "${TSS_QEMU_TIMEOUT:-420}" "$QEMU" $ACCEL -m "${TSS_QEMU_MEM:-1024}" -smp "${TSS_QEMU_SMP:-2}" -nographic -no-reboot \
  -kernel "$KERNEL" -initrd "$WORK/initrd.cpio" \
  -append "console=ttyS0 quiet loglevel=3 panic=-1 cgroup_no_v1=all" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on \
  -drive file="$WORK/scratch.img",if=virtio,format=raw,cache=unsafe \
  -serial mon:stdio < /dev/null | tr -d '\r' | tee "$WORK/console.log"
grep -q '^TSS-V2-RESULT pass' "$WORK/console.log" && exit 0
exit 1
