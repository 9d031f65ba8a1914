# test/cgroups/v2-guest.sh — runs as init inside the v2-qemu.sh guest: cgroup2-only checks, then our test files (guest, busybox sh)
# REPO and NODE come from the host (v2-qemu.sh); everything prints to the serial console.
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /sys/fs/cgroup /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t tmpfs tmp /tmp
fail=0
ok() { echo "TSS-V2: ok - $1"; }
bad() { echo "TSS-V2: not ok - $1"; fail=1; }
check() { if eval "$2"; then ok "$1"; else bad "$1 ($2)"; fi; }
finish() {
  if [ "$fail" = 0 ]; then echo "TSS-V2-RESULT pass"; else echo "TSS-V2-RESULT fail"; fi
  sync
  poweroff -f
}

echo "TSS-V2: kernel $(uname -r)"
check 'only cgroup2 is mounted' "! grep -q ' cgroup ' /proc/mounts && grep -q ' cgroup2 ' /proc/mounts"
CG=/sys/fs/cgroup
echo "TSS-V2: root controllers: $(cat $CG/cgroup.controllers)"

# --- 1. the v2 backend's file operations, in busybox sh -------------------------------------
if [ "${SHELL_CHECKS:-1}" = 1 ]; then
echo "+cpu +cpuset +memory +pids" > $CG/cgroup.subtree_control
mkdir $CG/tssandbox
echo "+cpu +cpuset +memory +pids" > $CG/tssandbox/cgroup.subtree_control
check 'controllers passed down' "grep -q memory $CG/tssandbox/cgroup.subtree_control && grep -q pids $CG/tssandbox/cgroup.subtree_control"
C=$CG/tssandbox/c1
mkdir $C
echo 33554432 > $C/memory.max
[ -f $C/memory.swap.max ] && echo 0 > $C/memory.swap.max
echo 1 > $C/memory.oom.group
echo "25000 100000" > $C/cpu.max
echo 8 > $C/pids.max
check 'memory.max holds the value' "[ \"\$(cat $C/memory.max)\" = 33554432 ]"
check 'cpu.max holds the value' "[ \"\$(cat $C/cpu.max)\" = '25000 100000' ]"
check 'pids.max holds the value' "[ \"\$(cat $C/pids.max)\" = 8 ]"
check 'memory.oom.group set' "[ \"\$(cat $C/memory.oom.group)\" = 1 ]"

# a bounded fork loop against pids.max 8
sh -c "echo \$\$ > $C/cgroup.procs; i=0; while [ \$i -lt 20 ]; do sleep 30 & i=\$((i+1)); done; wait" 2>/dev/null &
for i in $(seq 1 100); do grep -q '^max [1-9]' $C/pids.events && break; sleep 0.1; done
check 'pids.events records the limit tripping' "grep -q '^max [1-9]' $C/pids.events"
check 'pids.current stays within pids.max' "[ \$(cat $C/pids.current) -le 8 ]"
echo 1 > $C/cgroup.freeze
for i in $(seq 1 50); do grep -q '^frozen 1' $C/cgroup.events && break; sleep 0.1; done
check 'cgroup.freeze freezes' "grep -q '^frozen 1' $C/cgroup.events"
echo 0 > $C/cgroup.freeze
echo 1 > $C/cgroup.kill
for i in $(seq 1 50); do grep -q '^populated 0' $C/cgroup.events && break; sleep 0.1; done
check 'cgroup.kill empties the cgroup' "grep -q '^populated 0' $C/cgroup.events && [ -z \"\$(cat $C/cgroup.procs)\" ]"
wait 2>/dev/null
rmdir $C
check 'rmdir removes the leaf' "[ ! -e $C ]"

# a memory hog against memory.max 32M
C=$CG/tssandbox/c2
mkdir $C
echo 33554432 > $C/memory.max
[ -f $C/memory.swap.max ] && echo 0 > $C/memory.swap.max
# dd's one 64 MiB block buffer is the hog (a tr pipeline into a shell variable is far slower emulated)
sh -c "echo \$\$ > $C/cgroup.procs; exec dd if=/dev/zero of=/dev/null bs=64M count=1" 2>/dev/null
rc=$?
check 'the hog is SIGKILLed (137)' "[ $rc = 137 ]"
check 'memory.events counts the oom_kill' "grep -q '^oom_kill [1-9]' $C/memory.events"
# the killed process may take a moment to leave the cgroup
for i in $(seq 1 100); do grep -q '^populated 0' $C/cgroup.events && break; sleep 0.1; done
rmdir $C
rmdir $CG/tssandbox
check 'nothing of ours remains' "[ ! -e $CG/tssandbox ]"
fi

# --- 2. the same test files as on the host, with node from the host's root over 9p -----------
if [ -z "$NODE" ]; then
  bad 'node not found on the host: the compiled test files cannot run in the guest'
  finish
fi
for m in $(cat /modules/order); do insmod /modules/${m##*/}.ko 2>/dev/null; done
# msize 256 KiB: the default 8 KiB makes node's 100 MB binary a slow read under emulation
if ! mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 hostroot /host; then
  bad 'mount the host root over 9p'
  finish
fi
# a tmpfs root that binds the host's directories: mounts made on top of 9p dentries do not stay
# visible (9p may look a path up afresh), mounts on tmpfs do
R=/newroot
mkdir -p $R
mount -t tmpfs root $R
for e in /host/*; do
  n=${e#/host/}
  case $n in proc|sys|dev|tmp|run) mkdir -p "$R/$n"; continue ;; esac
  if [ -L "$e" ]; then ln -s "$(readlink "$e")" "$R/$n"
  elif [ -d "$e" ]; then mkdir -p "$R/$n" && mount --bind "$e" "$R/$n"
  fi
done
mkdir -p $R/sys/fs/cgroup
# /tmp is the ext4 disk v2-qemu.sh made: the tests' image stores and run roots live there, and
# the launcher's idmapped mounts of layers need a filesystem that allows them (9p does not, nor
# does tmpfs before 6.3; this is 6.1)
for m in "proc proc $R/proc" "sysfs sys $R/sys" "cgroup2 cgroup2 $R/sys/fs/cgroup" "devtmpfs dev $R/dev" "ext4 /dev/vda $R/tmp" "tmpfs run $R/run"; do
  set -- $m
  mount -t "$1" "$2" "$3" 2>/tmp/mnt.err || bad "mount $1 on $3: $(cat /tmp/mnt.err)"
done
# a checkout under /tmp or /run (CI clones anywhere) would be hidden by the fresh tmpfs just mounted
case "$REPO" in /tmp/*|/run/*) mkdir -p "$R$REPO" && mount --bind "/host$REPO" "$R$REPO" || bad "bind $REPO" ;; esac
chmod 1777 $R/tmp
# chroot alone is not enough: unshare(CLONE_NEWUSER) fails with EPERM in a chrooted process (the
# kernel's current_chrooted()), and the launcher needs it. So, as switch_root does, $R is moved
# over /: this script keeps the initramfs as its root (busybox stays at hand), its working
# directory is $R's mount, and `chroot .` from there gives a root that is the namespace's top mount.
cd $R && mount --move $R / || bad 'move the new root over /'
n=0
for t in $TESTS; do
 for hf in /host"$REPO"/$t; do
  f=${hf#/host}
  [ -f "$hf" ] || { bad "${f#$REPO/} not found"; continue; }
  echo "TSS-V2: running ${f#$REPO/} ($(cut -d' ' -f1 /proc/uptime) s since boot)"
  # the whole TAP stream, live, so a hang still shows how far the file got; through a file, since
  # a container process that outlives a killed test would hold a pipe open. TAP_TIMEOUT: tap's own
  # 30 s default is for a native CPU, not an emulated one (the guest's timeout bounds the file)
  n=$((n + 1))
  out=/tmp/out.$n
  : > $out
  ( tail -f $out & echo $! > /tmp/tail.pid; wait ) | sed 's/^/TSS-V2-TAP: /' &
  timeout -s KILL "${FILE_TIMEOUT:-240}" chroot . /bin/sh -c "cd '$REPO' && HOME=/tmp TSS_IN_V2_GUEST=1 TAP_TIMEOUT=0 '$NODE' '$f'" >> $out 2>&1 < /dev/null
  rc=$?
  sleep 1 # tail -f polls each second: let it print the last lines
  kill "$(cat /tmp/tail.pid)"
  wait
  if [ "$rc" = 0 ]; then ok "${f#$REPO/}"; else bad "${f#$REPO/} (exit $rc)"; fi
 done
done
echo "TSS-V2: done ($(cut -d' ' -f1 /proc/uptime) s since boot)"
finish
