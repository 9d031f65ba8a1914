// test/oci/ns-join.test.ts — linux.namespaces with paths: a pod's ipc, uts, pid and cgroup namespaces joined (held by a process the test starts), mount/user/the host's own refused (tests, root)
import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import { OciEnv, rootMissing } from './bundle.js';

const unshareMissing = spawnSync('unshare', ['--version']).status === 0 && spawnSync('ipcmk', ['--version']).status === 0 ? false : 'needs unshare and ipcmk (util-linux)';
const skip = rootMissing() || busyboxMissing() || unshareMissing;
if (skip) t.plan(0, skip);
else {
  const env = new OciEnv('nsjoin');
  const holders: ChildProcess[] = [];
  t.teardown(() => {
    env.cleanup();
    // the holders are their own process groups: unshare, and the sleep it forked into the pod's pid namespace
    for (const h of holders) { try { process.kill(-h.pid!, 'SIGKILL'); } catch { /* gone */ } }
  });

  /** a "pause container": new ipc, uts, pid and cgroup namespaces, a hostname, a SysV shm segment; its shm id */
  const pod = async (): Promise<{ pid: number; shmid: string }> => {
    const h = spawn('unshare', ['--ipc', '--uts', '--pid', '--fork', '--cgroup', 'sh', '-c', 'hostname podhost && ipcmk -M 4096 && exec sleep 600'],
      { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    holders.push(h);
    const line = await new Promise<string>((resolve) => {
      const rl = createInterface({ input: h.stdout! });
      rl.once('line', resolve);
      h.once('close', () => resolve(''));
    });
    const shmid = /id: (\d+)/.exec(line)?.[1];
    if (!shmid) throw new Error(`the pod holder did not start (${line})`);
    return { pid: h.pid!, shmid };
  };
  const ns = (pid: number, name: string) => readlinkSync(`/proc/${pid}/ns/${name}`);

  const runToEnd = async (name: string, edit: (c: Record<string, any>) => void) => {
    const b = await env.bundle(name, edit);
    const id = env.newId(name);
    const out = `${env.dir}/${id}.out`;
    const run = env.create(id, b, out);
    const created = await run.created;
    if (created !== 0) return { created, status: -1, out: '', id };
    t.equal(env.oci(['start', id]).code, 0, `${name}: start`);
    const { status } = await run.exited;
    const o = readFileSync(out, 'utf8');
    env.oci(['delete', id]);
    return { created, status, out: o, id };
  };
  const PROBE = 'for n in ipc uts pid cgroup; do echo "$n=$(readlink /proc/self/ns/$n)"; done; echo "host=$(hostname)"; echo "me=$$"; echo "one=$(tr "\\0" " " < /proc/1/cmdline)"; echo shm; cat /proc/sysvipc/shm';

  t.test('ipc, uts, pid and cgroup namespaces joined by path are the pod\'s: its shm, hostname and processes are seen', async (t) => {
    const p = await pod();
    const r = await runToEnd('join', (c) => {
      c.hostname = 'podhost';
      const paths: Record<string, string> = { ipc: `/proc/${p.pid}/ns/ipc`, uts: `/proc/${p.pid}/ns/uts`, pid: `/proc/${p.pid}/ns/pid_for_children`, cgroup: `/proc/${p.pid}/ns/cgroup` };
      c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (paths[n.type] ? { type: n.type, path: paths[n.type] } : n));
      c.process.args = ['sh', '-c', PROBE];
    });
    t.equal(r.created, 0, 'create succeeds');
    t.equal(r.status, 0, 'the payload ran');
    t.match(r.out, `ipc=${ns(p.pid, 'ipc')}`, 'the pod\'s ipc namespace');
    t.match(r.out, `uts=${ns(p.pid, 'uts')}`, 'the pod\'s uts namespace');
    t.match(r.out, `pid=${ns(p.pid, 'pid_for_children')}`, 'the pod\'s pid namespace');
    t.match(r.out, `cgroup=${ns(p.pid, 'cgroup')}`, 'the pod\'s cgroup namespace');
    t.match(r.out, /^host=podhost$/m, 'the pod\'s hostname');
    t.match(r.out, /^one=sleep 600 $/m, 'pid 1 is the pod\'s (its sleep): the processes are shared');
    t.notMatch(r.out, /^me=1$/m, 'the payload is not pid 1 of a namespace of its own');
    t.match(r.out, new RegExp(`^\\s*-?\\d+\\s+${p.shmid}\\s`, 'm'), 'the pod\'s SysV shm segment is listed');
    t.same(env.leftovers([r.id]), [], 'nothing left');
    t.ok(ns(p.pid, 'ipc'), 'the pod outlives the container');
  });

  t.test('in a joined pid namespace the payload is not pid 1: what it leaves running is killed with its cgroup', async (t) => {
    const p = await pod();
    const podNs = ns(p.pid, 'pid_for_children');
    const r = await runToEnd('orphan', (c) => {
      c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (n.type === 'pid' ? { type: 'pid', path: `/proc/${p.pid}/ns/pid_for_children` } : n));
      c.process.args = ['sh', '-c', 'busybox sleep 300 & echo "left=$!"; echo "ns=$(busybox readlink /proc/self/ns/pid)"'];
    });
    t.equal(r.status, 0, 'the payload exited');
    t.match(r.out, /^left=\d+$/m, 'leaving a process behind in the pod');
    t.match(r.out, new RegExp(`^ns=${podNs.replace(/[[\]]/g, '\\$&')}$`, 'm'), 'the payload ran in the pod\'s pid namespace');
    // live processes of the pod's pid namespace: only its own pid 1 (the holder's sleep) is left
    const live = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
      try { return readlinkSync(`/proc/${d}/ns/pid`) === podNs && !/^State:\s+Z/m.test(readFileSync(`/proc/${d}/status`, 'utf8')); } catch { return false; }
    });
    t.equal(live.length, 1, 'the container\'s leftover died with it; the pod\'s own process lives on');
  });

  t.test('without paths the container has namespaces of its own (the same probe)', async (t) => {
    const p = await pod();
    const r = await runToEnd('own', (c) => { c.process.args = ['sh', '-c', PROBE]; });
    t.equal(r.status, 0, 'the payload ran');
    for (const [n, f] of [['ipc', 'ipc'], ['uts', 'uts'], ['pid', 'pid_for_children'], ['cgroup', 'cgroup']] as const) {
      t.notMatch(r.out, `${n}=${ns(p.pid, f)}`, `not the pod's ${n}`);
      t.notMatch(r.out, `${n}=${ns(process.pid, n)}`, `not the host's ${n}`);
    }
    t.match(r.out, /^me=1$/m, 'pid 1 of its own pid namespace');
    t.notMatch(r.out, new RegExp(`^\\s*-?\\d+\\s+${p.shmid}\\s`, 'm'), 'the pod\'s shm is not seen');
  });

  t.test('exec into a container that joined a pod\'s namespaces enters the same ones', async (t) => {
    const p = await pod();
    const b = await env.bundle('exec', (c) => {
      c.hostname = 'podhost';
      c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (n.type === 'ipc' || n.type === 'pid' ? { type: n.type, path: `/proc/${p.pid}/ns/${n.type === 'pid' ? 'pid_for_children' : 'ipc'}` } : n));
      c.process.args = ['busybox', 'sleep', '300'];
    });
    const id = env.newId('exec');
    const run = env.create(id, b, `${env.dir}/${id}.out`);
    t.equal(await run.created, 0, 'create');
    t.equal(env.oci(['start', id]).code, 0, 'start');
    const r = env.oci(['exec', id, 'sh', '-c', 'readlink /proc/self/ns/ipc; readlink /proc/self/ns/pid']);
    t.equal(r.code, 0, 'exec ran');
    t.match(r.stdout, ns(p.pid, 'ipc'), 'the pod\'s ipc namespace');
    t.match(r.stdout, ns(p.pid, 'pid_for_children'), 'the pod\'s pid namespace');
    env.oci(['kill', id, 'KILL']);
    await run.exited;
    t.equal(env.oci(['delete', id]).code, 0, 'delete');
    t.same(env.leftovers([id]), [], 'nothing left');
  });

  t.test('refused by name, nothing left: mount and user namespaces, the host\'s own, a hostname the pod does not have, an ipc sysctl of a joined ipc', async (t) => {
    const p = await pod();
    const withNs = (type: string, path: string) => (c: Record<string, any>) => {
      c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== type);
      c.linux.namespaces.push({ type, path });
    };
    const cases: [string, (c: Record<string, any>) => void, RegExp][] = [
      ['mnt', withNs('mount', `/proc/${p.pid}/ns/mnt`), /mount namespace .*refused: the container's tree is built and locked by the runtime/],
      ['user', withNs('user', `/proc/${p.pid}/ns/user`), /user namespace .*refused: every container has a user namespace/],
      // the runtime's own namespaces are the host's (the test's, which the CLI inherits)
      ['hostipc', withNs('ipc', `/proc/${process.pid}/ns/ipc`), /ipc namespace \/proc\/\d+\/ns\/ipc.*the host's ipc namespace/],
      ['hostpid', withNs('pid', `/proc/${process.pid}/ns/pid`), /pid namespace \/proc\/\d+\/ns\/pid.*the host's pid namespace/],
      ['missing', withNs('uts', '/nonexistent/uts'), /uts namespace \/nonexistent\/uts.*(ENOENT|no such file)/i],
      ['ipcsysctl', (c) => { withNs('ipc', `/proc/${p.pid}/ns/ipc`)(c); c.linux.sysctl = { 'kernel.shmmni': '99' }; }, /linux\.sysctl kernel\.shmmni.*joined by path/],
    ];
    for (const [name, edit, msg] of cases) {
      const b = await env.bundle(name, edit);
      const id = env.newId(name);
      const r = env.oci(['create', '--bundle', b, id]);
      t.not(r.code, 0, `${name}: refused`);
      t.match(r.stderr, msg, `${name}: names the namespace and why`);
      t.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line`);
      t.same(env.leftovers([id]), [], `${name}: nothing left`);
    }
    // a hostname other than the pod's: known only inside the namespace, so refused by the launcher
    const rb = await env.bundle('rename', (c) => { withNs('uts', `/proc/${p.pid}/ns/uts`)(c); c.hostname = 'other'; c.process.args = ['true']; });
    const rid = env.newId('rename');
    const r = env.oci(['create', '--bundle', rb, rid]);
    t.not(r.code, 0, 'a hostname the joined uts namespace does not have fails create');
    t.match(r.stderr, /hostname other\) failed[^\n]*EPERM/, 'refused at the hostname step (EPERM: the pod\'s uts namespace is not the container\'s)');
    t.equal(spawnSync('nsenter', ['-t', String(p.pid), '-u', 'hostname'], { encoding: 'utf8' }).stdout.trim(), 'podhost', 'the pod keeps its hostname');
    env.oci(['delete', '--force', rid]);
    t.same(env.leftovers([rid]), [], 'nothing left');
  });
}
