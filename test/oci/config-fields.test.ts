// test/oci/config-fields.test.ts — config.json's process.user.umask, process.oomScoreAdj, linux.sysctl and mqueue/cgroup mounts, seen from inside the container; sysctls outside its namespaces refused (tests, root)
import t from 'tap';
import { readFileSync } from 'node:fs';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import { OciEnv, rootMissing } from './bundle.js';

const skip = rootMissing() || busyboxMissing();
if (skip) t.plan(0, skip);
else {
  const env = new OciEnv('fields');
  t.teardown(() => env.cleanup());
  const host = (p: string) => readFileSync(p, 'utf8').trim();

  /** runs the bundle to its end; the payload's stdout */
  const runToEnd = async (name: string, edit: (c: Record<string, any>) => void) => {
    const b = await env.bundle(name, edit);
    const id = env.newId(name);
    const out = `${env.dir}/${id}.out`;
    const run = env.create(id, b, out);
    const created = await run.created;
    if (created !== 0) return { created, status: -1, out: '', id };
    const started = env.oci(['start', id]).code;
    const { status } = await run.exited;
    const o = readFileSync(out, 'utf8');
    env.oci(['delete', id]);
    return { created, started, status, out: o, id };
  };

  // lowering oom_score_adj needs CAP_SYS_RESOURCE in the initial user namespace: the runtime's, which
  // some hosts (this CI VM) do not give even to root
  const canLower = (BigInt(`0x${/CapEff:\s+(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`) >> 24n) & 1n;

  t.test('a negative oomScoreAdj is written before privileges are dropped, or refused by name where the runtime itself cannot', async (t) => {
    const r = await runToEnd('lower', (c) => { c.process.oomScoreAdj = -321; c.process.args = ['sh', '-c', 'echo oom=$(cat /proc/self/oom_score_adj)']; });
    if (canLower) {
      t.equal(r.status, 0, 'the payload ran');
      t.match(r.out, /^oom=-321$/m, 'lowered: written while the child was still host root');
    } else {
      t.not(r.created, 0, 'create fails: the runtime lacks CAP_SYS_RESOURCE');
      t.same(env.leftovers([r.id]), [], 'nothing left');
    }
  });

  t.test('umask, a raised oomScoreAdj and namespaced sysctls are applied inside, the host keeps its own', async (t) => {
    const hostShmmni = host('/proc/sys/kernel/shmmni');
    const hostMsgMax = host('/proc/sys/fs/mqueue/msg_max');
    const hostLowPort = host('/proc/sys/net/ipv4/ip_unprivileged_port_start');
    const hostDomain = host('/proc/sys/kernel/domainname');
    const r = await runToEnd('applied', (c) => {
      c.process.user.umask = 0o027;
      c.process.oomScoreAdj = 321;
      c.linux.sysctl = { 'kernel.shmmni': '1234', 'fs.mqueue.msg_max': '33', 'net.ipv4.ip_unprivileged_port_start': '1000', 'kernel.domainname': 'lab.test' };
      c.process.args = ['sh', '-c', 'echo umask=$(umask); echo oom=$(cat /proc/self/oom_score_adj); for k in kernel/shmmni fs/mqueue/msg_max net/ipv4/ip_unprivileged_port_start kernel/domainname; do echo "$k=$(cat /proc/sys/$k)"; done; : > /dev/shm/umask-probe && ls -l /dev/shm/umask-probe; sh -c "echo childoom=\\$(cat /proc/self/oom_score_adj)"'];
    });
    t.equal(r.created, 0, 'create succeeds');
    t.equal(r.status, 0, 'the payload ran');
    t.match(r.out, /umask=0027/, 'process.user.umask is the payload\'s umask');
    t.match(r.out, /-rw-r----- .*umask-probe/, 'a file it makes gets 0666 & ~027');
    t.match(r.out, /^oom=321$/m, 'process.oomScoreAdj');
    t.match(r.out, /childoom=321/, 'its children inherit it');
    t.match(r.out, /kernel\/shmmni=1234/, 'kernel.shmmni (ipc namespace)');
    t.match(r.out, /fs\/mqueue\/msg_max=33/, 'fs.mqueue.msg_max (ipc namespace)');
    t.match(r.out, /net\/ipv4\/ip_unprivileged_port_start=1000/, 'net.* (its own network namespace)');
    t.match(r.out, /kernel\/domainname=lab\.test/, 'kernel.domainname (uts namespace)');
    t.equal(host('/proc/sys/kernel/shmmni'), hostShmmni, 'the host\'s shmmni is untouched');
    t.equal(host('/proc/sys/fs/mqueue/msg_max'), hostMsgMax, 'the host\'s msg_max is untouched');
    t.equal(host('/proc/sys/net/ipv4/ip_unprivileged_port_start'), hostLowPort, 'the host\'s netns is untouched');
    t.equal(host('/proc/sys/kernel/domainname'), hostDomain, 'the host\'s domainname is untouched');
  });

  t.test('sysctls of namespaces the container does not own are refused by name, nothing left', async (t) => {
    const cases: [string, (c: Record<string, any>) => void, RegExp][] = [
      ['panic', (c) => { c.linux.sysctl = { 'kernel.panic': '10' }; }, /linux\.sysctl kernel\.panic.*not a sysctl of a namespace the container owns/],
      ['vmswap', (c) => { c.linux.sysctl = { 'vm.swappiness': '1' }; }, /linux\.sysctl vm\.swappiness/],
      ['hostnet', (c) => { c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'network'); c.annotations = {}; c.linux.sysctl = { 'net.ipv4.ip_forward': '1' }; }, /linux\.sysctl net\.ipv4\.ip_forward.*host's network namespace/],
      ['hostname', (c) => { c.linux.sysctl = { 'kernel.hostname': 'x' }; }, /kernel\.hostname.*hostname field/],
      ['path', (c) => { c.linux.sysctl = { 'net/../../kernel/panic': '1' }; }, /not a sysctl name/],
    ];
    for (const [name, edit, msg] of cases) {
      const b = await env.bundle(name, edit);
      const id = env.newId(name);
      const r = env.oci(['create', '--bundle', b, id]);
      t.equal(r.code, 1, `${name}: refused`);
      t.match(r.stderr, msg, `${name}: one line naming the key and why`);
      t.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line`);
      t.same(env.leftovers([id]), [], `${name}: nothing left`);
    }
  });

  t.test('mqueue and cgroup mounts: a fresh mqueue, the container\'s own read-only cgroup view', async (t) => {
    const r = await runToEnd('mounts', (c) => {
      c.mounts = c.mounts.filter((m: { destination: string }) => m.destination !== '/sys/fs/cgroup');
      c.mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] });
      c.process.args = ['sh', '-c', 'cat /proc/self/mountinfo; echo "queues=$(ls -A /dev/mqueue | wc -l)"; echo "cg=$(cat /proc/self/cgroup | head -3)"; mkdir /sys/fs/cgroup/pids/x 2>/dev/null && echo cgwrite || echo cgro'];
    });
    t.equal(r.status, 0, 'the payload ran');
    const lines = r.out.split('\n').filter((l) => l.includes(' - '));
    // the last of a mount point's lines is the mount on top (a read-only remount stacks a clone)
    const at = (mp: string) => lines.filter((l) => l.split(' ')[4] === mp).pop();
    const mq = at('/dev/mqueue');
    t.ok(mq, '/dev/mqueue is mounted');
    t.match(mq ?? '', / - mqueue /, 'as an mqueue filesystem');
    t.match(r.out, /queues=0/, 'it shows no queue: a fresh instance of the container\'s ipc namespace');
    const cgLines = lines.filter((l) => / - cgroup2? /.test(l));
    t.ok(cgLines.length >= 1, 'cgroup hierarchies are mounted under /sys/fs/cgroup');
    for (const l of cgLines) {
      const f = l.split(' ');
      t.match(f[4], /^\/sys\/fs\/cgroup\//, `${f[4]} is under the mount point`);
      t.equal(f[3], '/', `${f[4]}: rooted at the container's own cgroup (its cgroup namespace), not the host's tree`);
      t.match(f[5], /(^|,)ro(,|$)/, `${f[4]}: read-only`);
    }
    const top = at('/sys/fs/cgroup');
    t.ok(top, 'the tmpfs holding them');
    t.match(top ?? '', /(^|\s)ro,/, 'itself read-only');
    t.match(r.out, /cgro/, 'the payload cannot make a cgroup');
    t.notMatch(r.out, /cgwrite/);
  });
}
