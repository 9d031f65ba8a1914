// test/sandbox/run-strict.test.ts — what a payload sees under strict, exit codes and stdin (tests, root)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import { rootMissing, Sandbox } from '../helpers/sandbox.js';

const skip = rootMissing() || busyboxMissing();
if (skip) t.plan(0, skip);
else {
  const sb = new Sandbox('strict');
  t.teardown(() => sb.cleanup());
  await sb.importBusybox('bb', [{ name: './etc/group', data: 'root:x:0:\nstaff:x:50:alice\n' },
    { name: './etc/passwd', data: 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n' },
    { name: './notexec', data: 'just data\n', mode: 0o644 }, { name: './bin/dd', type: 'symlink', linkname: 'busybox' },
    { name: './bin/touch', type: 'symlink', linkname: 'busybox' }]);

  t.test('the container view under strict', async (t) => {
    const r = sb.cli(['run', '--rm', 'bb', 'sh', '-c',
      'id; echo ---; ls -ln /; echo ---; grep -E "CapEff|CapPrm|CapBnd|NoNewPrivs|Seccomp:" /proc/self/status; echo ---; ls /dev; echo ---; cat /proc/self/cgroup; echo ---; cat /proc/self/uid_map; hostname; touch /x']);
    const [id, ls, status, dev, cgroup, map] = r.stdout.split('---\n');
    t.match(id, /^uid=0\(root\) gid=0/, 'the payload is root inside');
    for (const line of ls!.split('\n').filter((l) => /^[d-]/.test(l) && !/ (proc|sys)$/.test(l))) {
      t.match(line, /^\S+\s+\d+\s+0\s+0\s/, `owned by 0 inside: ${line}`);
    }
    t.match(status, /CapPrm:\s+0000000000000000/, 'no permitted capabilities');
    t.match(status, /CapEff:\s+0000000000000000/, 'no effective capabilities');
    t.match(status, /CapBnd:\s+0000000000000000/, 'an empty bounding set');
    t.match(status, /NoNewPrivs:\s+1/, 'no_new_privs');
    t.match(status, /Seccomp:\s+2/, 'a seccomp filter');
    t.same(dev!.trim().split('\n').filter((n) => !['fd', 'stdin', 'stdout', 'stderr'].includes(n)).sort(),
      ['full', 'null', 'ptmx', 'pts', 'random', 'shm', 'tty', 'urandom', 'zero'], 'exactly the allowed /dev nodes');
    const lines = cgroup!.trim().split('\n');
    t.ok(lines.length > 0 && lines.every((l) => l.endsWith(':/')), `every cgroup line shows /: ${lines.join(' | ')}`);
    t.match(map, /^\s*0\s+(\d+)\s+65536/, 'root maps to a host id range');
    t.notMatch(map, /^\s*0\s+0\s/, 'container root is not host root');
    t.match(r.stderr, /touch: \/x: Read-only file system/, 'the root filesystem is read-only');
    t.equal(r.code, 1, 'the exit code is the payload\'s (touch failed)');
  });

  t.test('network none is loopback only, and loopback is up', async (t) => {
    const r = sb.cli(['run', '--rm', 'bb', 'sh', '-c', 'ls /sys/class/net; cat /sys/class/net/lo/flags']);
    t.equal(r.code, 0, r.stderr);
    t.equal(r.stdout, 'lo\n0x9\n', 'only lo, flags UP|LOOPBACK');
  });

  t.test('on the host the payload is not uid 0', async (t) => {
    // pid 1 only gets signals it handles (as in docker): the payload traps TERM
    const child = sb.start(['--rm', 'bb', 'sh', '-c', 'trap "exit 42" TERM; echo ready; while true; do sleep 0.1; done']);
    t.teardown(() => child.kill('SIGKILL')); // never leave it running when an assertion throws
    await new Promise<void>((res) => child.stdout.once('data', () => res()));
    const procs = (ctrl: string) => {
      try { return readFileSync(`/sys/fs/cgroup/${ctrl}/${sb.cgroupParent}/${readdir1(`/sys/fs/cgroup/${ctrl}/${sb.cgroupParent}`)}/cgroup.procs`, 'utf8').trim().split('\n').filter(Boolean); } catch { return []; }
    };
    const pids = procs('pids');
    t.ok(pids.length >= 1, `the payload is in its cgroup (${pids.join(',')})`);
    for (const pid of pids) {
      let status: string;
      try { status = readFileSync(`/proc/${pid}/status`, 'utf8'); } catch { continue; } // a `sleep 0.1` that already ended
      const uid = /Uid:\s+(\d+)/.exec(status)?.[1];
      t.not(uid, '0', `host uid of pid ${pid} is ${uid}`);
      t.ok(Number(uid) >= 1_000_000_000, 'a uid from the per-container range');
    }
    const closed = new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    child.kill('SIGTERM'); // forwarded to the payload as SIGTERM
    const code = await closed;
    t.equal(code, 42, 'SIGTERM is forwarded to the payload, whose handler ran');
  });

  t.test('--init: pid 1 is the runtime\'s init, which forwards signals and reaps', async (t) => {
    const child = sb.start(['--rm', '--init', 'bb', 'sh', '-c', 'ls -l /proc/1/exe; (sh -c "exit 0" &); echo ready; while true; do sleep 0.1; done']);
    let out = '';
    await new Promise<void>((res) => child.stdout.on('data', (d: Buffer) => { out += d; if (out.includes('ready')) res(); }));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    t.match(out, /\/proc\/1\/exe -> \/sbin\/tssandbox-init/, 'init is pid 1');
    t.equal(code, 143, 'SIGTERM reached the payload, which had no handler: 128+15');
  });

  t.test('exit codes follow docker', async (t) => {
    t.equal(sb.cli(['run', '--rm', 'bb', 'sh', '-c', 'exit 7']).code, 7, 'the payload\'s own code');
    const nf = sb.cli(['run', '--rm', 'bb', 'no-such-command']);
    t.equal(nf.code, 127, 'a missing command exits 127');
    t.match(nf.stderr, /no-such-command.*not found/);
    const ne = sb.cli(['run', '--rm', 'bb', '/notexec']);
    t.equal(ne.code, 126, 'a non-executable file exits 126');
    const killed = sb.cli(['run', '--rm', '--timeout', '1', 'bb', 'sh', '-c', 'while true; do sleep 0.1; done']);
    t.equal(killed.code, 137, 'killed by SIGKILL (--timeout): 128+9');
    t.match(killed.stderr, /--timeout 1s/, 'the timeout is reported');
    const bad = sb.cli(['run', '--rm', 'no-such-image']);
    t.equal(bad.code, 125, 'tssandbox\'s own failure exits 125');
    t.equal(bad.stderr.trim().split('\n').length, 1, 'with one line');
  });

  t.test('stdin: -i copies it, without -i the payload reads nothing', async (t) => {
    t.equal(sb.cli(['run', '-i', '--rm', 'bb', 'cat'], { input: 'hi\n' }).stdout, 'hi\n');
    t.equal(sb.cli(['run', '--rm', 'bb', 'cat'], { input: 'hi\n' }).stdout, '', 'no -i: /dev/null');
    const big = 'x'.repeat(1 << 20);
    t.equal(sb.cli(['run', '-i', '--rm', 'bb', 'cat'], { input: big }).stdout.length, big.length, 'a MiB goes through intact');
  });

  t.test('user, groups, env, workdir, hostname, /etc files', async (t) => {
    const envFile = sb.path('env.list');
    writeFileSync(envFile, '# comment\nFROMFILE=1\nHOST_THING\n');
    const r = sb.cli(['run', '--rm', '-u', 'alice', '--group-add', 'root', '-e', 'A=b', '--env-file', envFile, '-w', '/work/dir',
      '--hostname', 'labbox', '--add-host', 'db:10.1.2.3', 'bb', 'sh', '-c', 'id; echo "$A $FROMFILE $HOST_THING $HOME"; pwd; hostname; cat /etc/hostname; grep db /etc/hosts'],
    { env: { HOST_THING: 'fromhost' } });
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, /uid=1000\(alice\) gid=1000 groups=0\(root\),50\(staff\)|uid=1000\(alice\) gid=1000 groups=50\(staff\),0\(root\)/, 'user by name, its groups and --group-add');
    t.match(r.stdout, /b 1 fromhost \/home\/alice/, '-e, --env-file, a bare name from the host, HOME');
    t.match(r.stdout, /\/work\/dir\nlabbox\nlabbox\n10\.1\.2\.3\tdb/, 'workdir made, hostname, /etc/hostname, --add-host');
    const caps = sb.cli(['run', '--rm', '-u', '1000:1000', 'bb', 'cat', '/proc/self/status']);
    t.match(caps.stdout, /CapEff:\s+0+\n/, 'a non-root user has no capabilities');
    t.match(caps.stdout, /Uid:\s+1000\s/, 'and runs as 1000');
  });

  t.test('a memory hog is OOM-killed: exit 137 and oomKilled in the exit record', async (t) => {
    const r = sb.cli(['run', '--name', 'hog', '--memory', '32m', '--memory-swap', '32m', 'bb', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=200M', 'count=1']);
    t.equal(r.code, 137, r.stderr);
    const dir = `${sb.root}/containers`;
    const id = readdirSync(dir).find((d) => JSON.parse(readFileSync(`${dir}/${d}/config.json`, 'utf8')).name === 'hog')!;
    const state = JSON.parse(readFileSync(`${dir}/${id}/state.json`, 'utf8'));
    t.equal(state.oomKilled, true, 'the exit record says oomKilled');
    t.equal(state.exitCode, 137);
  });

  t.test('profiles that allow it get a writable per-container layer', async (t) => {
    const r = sb.cli(['run', '--rm', '--profile', 'default', 'bb', 'sh', '-c', 'touch /x && ls -ln /x && cat /proc/self/status']);
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, /^-\S+\s+\d+\s+0\s+0\s/, 'the new file belongs to container root');
    t.match(r.stdout, /CapEff:\s+00000000a80425fb/, 'Docker\'s 14 capabilities');
    const again = sb.cli(['run', '--rm', '--profile', 'default', 'bb', 'ls', '/x']);
    t.not(again.code, 0, 'each container starts from the image, not from another container\'s layer');
  });

  t.test('if the runtime is killed, its container dies with it, and the next run cleans up', async (t) => {
    const child = sb.start(['--rm', 'bb', 'sh', '-c', 'echo ready; while true; do sleep 0.1; done']);
    await new Promise<void>((res) => child.stdout.once('data', () => res()));
    const ctr = readdir1(`/sys/fs/cgroup/pids/${sb.cgroupParent}`);
    const procs = () => { try { return readFileSync(`/sys/fs/cgroup/pids/${sb.cgroupParent}/${ctr}/cgroup.procs`, 'utf8').trim(); } catch { return ''; } };
    t.not(procs(), '', 'the container runs');
    child.kill('SIGKILL'); // Node can do nothing about this one
    await new Promise((res) => child.on('close', res));
    let gone = false;
    for (let i = 0; i < 50 && !gone; i++) { gone = procs() === ''; if (!gone) await new Promise((r) => setTimeout(r, 100)); }
    t.ok(gone, 'no process of the container survives its runtime (PDEATHSIG)');
    t.not(sb.leftovers(), [], 'the killed runtime left its state behind');
    t.equal(sb.cli(['run', '--rm', 'bb', 'true']).code, 0);
    t.same(sb.leftovers(), [], 'the next run removed it');
  });

  t.test('nothing is left behind', async (t) => {
    t.same(sb.leftovers(), [], 'no state dir, id range, cgroup or mount remains');
  });
}

function readdir1(dir: string): string {
  return readdirSync(dir).find((e) => e !== 'cgroup.procs' && !e.includes('.')) ?? '';
}
