// test/sandbox/run-mounts.test.ts — volumes, tmpfs, refusals, and mount propagation with a shared host / (tests, root)
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import { CLI } from '../helpers/paths.js';
import { rootMissing, Sandbox } from '../helpers/sandbox.js';

const skip = rootMissing() || busyboxMissing();
if (skip) t.plan(0, skip);
else {
  const sb = new Sandbox('mounts');
  t.teardown(() => sb.cleanup());
  // an image whose /data and /escape are symlinks pointing out of the image (absolute and ../)
  await sb.importBusybox('bb', [
    { name: './data', type: 'symlink', linkname: '/etc' },
    { name: './escape', type: 'symlink', linkname: '../../../../../../../../tmp' },
  ]);
  const data = sb.path('data');
  mkdirSync(data);
  writeFileSync(`${data}/hello.txt`, 'from the host\n');

  t.test('-v SRC:DST:ro reads and cannot write', async (t) => {
    const r = sb.cli(['run', '--rm', '-v', `${data}:/mnt/data:ro`, 'bb', 'sh', '-c', 'cat /mnt/data/hello.txt; echo x > /mnt/data/new; echo "w=$?"']);
    t.match(r.stdout, /from the host\nw=[1-9]/, 'read works, write fails');
    t.match(r.stderr, /Read-only file system/);
    t.notOk(existsSync(`${data}/new`), 'nothing was written on the host');
  });

  t.test('-v rw: the container writes as its own unprivileged host ids; a file volume binds one file', async (t) => {
    const f = sb.path('single.conf');
    writeFileSync(f, 'one file\n');
    const shared = sb.path('shared');
    mkdirSync(shared, { mode: 0o1777 });
    chmodSync(shared, 0o1777);
    const r = sb.cli(['run', '--rm', '-v', `${data}:/mnt/root-owned`, '-v', `${shared}:/mnt/shared`, '-v', `${f}:/etc/single.conf:ro`, 'bb', 'sh', '-c',
      'echo w > /mnt/shared/written; echo x > /mnt/root-owned/nope; cat /etc/single.conf']);
    t.equal(r.stdout, 'one file\n');
    t.equal(readFileSync(`${shared}/written`, 'utf8'), 'w\n', 'a write to a directory its host ids may write lands on the host');
    t.ok(statSync(`${shared}/written`).uid >= 1_000_000_000, 'owned by the container\'s host id range, not by host root');
    t.match(r.stderr, /nope: Permission denied/, 'container root is not host root: a host-root-owned directory stays closed');
    t.notOk(existsSync(`${data}/nope`));
  });

  t.test('symlinks stay inside their roots', async (t) => {
    const link = sb.path('link-to-data');
    symlinkSync(data, link);
    const a = sb.cli(['run', '--rm', '-v', `${link}:/mnt/l:ro`, 'bb', 'cat', '/mnt/l/hello.txt']);
    t.equal(a.stdout, 'from the host\n', 'a volume whose source is a symlink binds its target directory');
    // the image's /data -> /etc: the volume lands on the image's /etc, never the host's
    const b = sb.cli(['run', '--rm', '-v', `${data}:/data:ro`, 'bb', 'sh', '-c', 'cat /etc/hello.txt; ls /etc']);
    t.match(b.stdout, /from the host/, 'the mount followed the image symlink inside the root');
    t.notOk(existsSync('/etc/hello.txt'), 'the host\'s /etc was not touched');
    const canary = `/tmp/tss-canary-${process.pid}`;
    const c = sb.cli(['run', '--rm', '-v', `${data}:/escape/${canary.slice(5)}:ro`, 'bb', 'sh', '-c', `ls /tmp/${canary.slice(5)}`]);
    t.equal(c.code, 0, c.stderr);
    t.match(c.stdout, /hello\.txt/, 'a ../ symlink resolves inside the root');
    t.notOk(existsSync(canary), 'no mount point was made outside the root');
  });

  t.test('--tmpfs and the strict /tmp', async (t) => {
    const r = sb.cli(['run', '--rm', '--tmpfs', '/scratch:size=1m', 'bb', 'sh', '-c', 'echo a > /scratch/a && cat /scratch/a; cat /proc/mounts']);
    t.match(r.stdout, /^a\n/);
    t.match(r.stdout, /tmpfs \/scratch tmpfs rw,nosuid,nodev[^\n]*size=1024k/, 'size-capped, nosuid, nodev');
    t.match(r.stdout, /tmpfs \/tmp tmpfs rw,nosuid,nodev[^\n]*size=65536k/, 'strict\'s /tmp');
    t.match(r.stdout, /overlay \/ overlay ro,nosuid,nodev/, 'the root is read-only, nosuid, nodev');
  });

  t.test('refusals are one line, exit 125, and leave nothing', async (t) => {
    const cases: [string[], RegExp][] = [
      [['--privileged'], /--privileged.*refused/],
      [['--network', 'host'], /--network host.*refused by profile strict \(loosen\.networkHost at [^)]*strict\.yaml:\d+\)/],
      [['--cap-add', 'SYS_ADMIN'], /--cap-add CAP_SYS_ADMIN.*refused by profile strict \(loosen\.capAdd/],
      [['--read-write'], /--read-write.*refused by profile strict/],
      [['--memory', '2g'], /--memory.*refused by profile strict \(loosen\.raiseLimits/],
      [['-v', `${data}:/proc`], /-v .*:\/proc.*may not cover \/proc/],
      [['-v', `${data}:/`], /may not cover/],
      [['-v', `${data}:/sys/kernel`], /may not cover \/sys/],
      [['-v', 'relative:/x'], /absolute host path/],
      [['-v', `${data}/missing:/x`], /does not exist/],
      [['--memory', 'lots'], /not a size/],
      [['--ulimit', 'nofile=10:5'], /soft limit is above the hard limit/],
      [['--tmpfs', '/x:uid=0'], /unknown tmpfs option uid/],
      [['--profile', 'no-such-profile'], /no-such-profile/],
    ];
    for (const [flags, re] of cases) {
      const r = sb.cli(['run', '--rm', ...flags, 'bb', 'true']);
      t.equal(r.code, 125, `${flags.join(' ')}: exit 125`);
      t.match(r.stderr, re, `${flags.join(' ')}: names the reason`);
      t.equal(r.stderr.trim().split('\n').length, 1, `${flags.join(' ')}: one line`);
    }
    t.same(sb.leftovers(), [], 'nothing left behind');
    t.same(existsSync(`${sb.root}/containers`) ? readdirSync(`${sb.root}/containers`) : [], [], 'no container record');
  });

  t.test('mounts made inside never appear on the host, even when the host\'s / is shared', async (t) => {
    // A private mount namespace plays the host, with / made rshared as systemd does. Without the
    // launcher's rslave step, the container's proc, tmpfs and overlay mounts would propagate here.
    // Only mounts under this test's own directory count (its store, run root and every container
    // root are there): the shared "host" also receives what other test files mount meanwhile
    // (podman's storage, under --jobs=2), which says nothing about our containers.
    const ours = `{ grep -F ${JSON.stringify(sb.path())} /proc/self/mountinfo || true; }`;
    const script = `mount --make-rshared / && ${ours} | wc -l > ${sb.path('before')} &&
      ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} run --cgroup-parent ${sb.cgroupParent} --rm bb sh -c 'echo ready; cat /proc/mounts > /dev/null; i=0; while [ $i -lt 20 ]; do i=$((i+1)); cat /proc/self/status > /dev/null; done' &&
      ${ours} | wc -l > ${sb.path('after')}`;
    // while it runs: the container says ready once its mounts exist and then waits on stdin (-i, a fifo
    // held open here) until the check is done; "not ready" after 60 s fails the check below
    const fifo = sb.path('fifo'), out = sb.path('during.out');
    const during = spawnSync('unshare', ['-m', '--propagation', 'unchanged', 'sh', '-c',
      `mount --make-rshared / && mkfifo ${fifo} && { ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} run --cgroup-parent ${sb.cgroupParent} --rm -i bb sh -c 'echo ready; read x' < ${fifo} > ${out} & } && exec 3> ${fifo} &&
      i=0; until grep -q ready ${out} 2>/dev/null || [ $i -ge 600 ]; do sleep 0.1; i=$((i+1)); done; grep -q ready ${out} || echo 'not ready'; ${ours}; exec 3>&-; wait`],
    { env: sb.env(), encoding: 'utf8', timeout: 120_000 });
    t.equal(during.status, 0, during.stderr);
    t.notMatch(during.stdout, /overlay|\/l\/0|tssandbox/, 'no container mount propagated into the shared host namespace while it ran');
    t.equal(during.stdout, '', 'no mount under the test\'s directories while it ran');
    const r = spawnSync('unshare', ['-m', '--propagation', 'unchanged', 'sh', '-c', script], { env: sb.env(), encoding: 'utf8', timeout: 60_000 });
    t.equal(r.status, 0, r.stderr);
    t.equal(readFileSync(sb.path('after'), 'utf8'), readFileSync(sb.path('before'), 'utf8'), 'the mount table is unchanged after the run');
  });

  t.test('nothing is left behind', async (t) => {
    t.same(sb.leftovers(), []);
  });
}
