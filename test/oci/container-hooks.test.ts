// test/oci/container-hooks.test.ts — createContainer and startContainer hooks run inside the container's namespaces with its credentials, in the spec's order; failures fail create/start and leave nothing (tests, root)
import t from 'tap';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import { OciEnv, rootMissing } from './bundle.js';

const skip = rootMissing() || busyboxMissing();
if (skip) t.plan(0, skip);
else {
  const env = new OciEnv('chooks');
  // the createContainer hook runs as the container's root (an unprivileged host id): its script and
  // its output dir must be reachable for that id, unlike the 0700 test dir
  const pub = mkdtempSync(join(tmpdir(), 'tss-chooks-'));
  chmodSync(pub, 0o755);
  t.teardown(() => { env.cleanup(); rmSync(pub, { recursive: true, force: true }); });
  // what a hook saw: its stdin, args, env, namespaces, credentials; $1 names the stage
  const SCRIPT = `#!/bin/sh
cat > "$OUT/$1.state"
echo "$*" > "$OUT/$1.args"
echo "\${MARK:-none} \${TSSANDBOX_RUN_ROOT:-unset}" > "$OUT/$1.env"
for n in mnt net uts ipc pid user; do echo "$n=$(readlink /proc/self/ns/$n)"; done > "$OUT/$1.ns"
grep -E '^(Uid|CapEff|NoNewPrivs|Seccomp):' /proc/self/status > "$OUT/$1.status"
echo "$1" >> "$OUT/order"
if [ -n "$SLEEP" ]; then sleep "$SLEEP"; fi
if [ -n "$FAIL" ]; then echo "hook $1 says no" >&2; exit 3; fi
exit 0
`;
  const hostHook = join(pub, 'hook.sh');
  writeFileSync(hostHook, SCRIPT);
  chmodSync(hostHook, 0o755);
  const outDir = (name: string) => {
    const d = join(pub, name);
    mkdirSync(d);
    chmodSync(d, 0o777);
    // host-side hooks (host root) and createContainer (the container's root) append to one file
    writeFileSync(join(d, 'order'), '');
    chmodSync(join(d, 'order'), 0o666);
    return d;
  };
  const hook = (path: string, stage: string, out: string, extra: string[] = [], timeout?: number) => ({ path, args: ['hook', stage, 'extra-arg'], env: [`OUT=${out}`, 'MARK=given', 'PATH=/usr/bin:/bin', ...extra], ...(timeout ? { timeout } : {}) });
  const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').trim() : '');
  const field = (text: string, k: string) => new RegExp(`^${k}[=:]\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  // the payload reports the same things, and what the startContainer hook left in the container
  const PAYLOAD = 'for n in mnt net uts ipc pid user; do echo "$n=$(readlink /proc/self/ns/$n)"; done; grep -E "^(Uid|CapEff|NoNewPrivs|Seccomp):" /proc/self/status; echo "order=$(cat /dev/shm/out/order | tr "\\n" ,)"; echo "sc-args=$(cat /dev/shm/out/startContainer.args)"; echo "sc-env=$(cat /dev/shm/out/startContainer.env)"; echo "sc-state=$(cat /dev/shm/out/startContainer.state)"; sed "s/^/sc-ns-/" /dev/shm/out/startContainer.ns; sed "s/^/sc-st-/" /dev/shm/out/startContainer.status';

  t.test('createContainer before pivot_root as the container\'s root, startContainer inside the root as the process: namespaces, credentials, state, args, env', async (t) => {
    const id = env.newId('both');
    const out = outDir('both');
    const b = await env.bundle('both', (c) => {
      c.process.args = ['sh', '-c', PAYLOAD];
      c.hooks = {
        createRuntime: [hook(hostHook, 'createRuntime', out)],
        createContainer: [hook(hostHook, 'createContainer', out)],
        // a path that exists only in the container's root: resolved there, not on the host
        startContainer: [{ ...hook('/in-container-hook.sh', 'startContainer', '/dev/shm/out'), env: ['OUT=/dev/shm/out', 'MARK=given', 'PATH=/bin'] }],
      };
    });
    writeFileSync(join(b, 'rootfs', 'in-container-hook.sh'), `#!/bin/sh\nmkdir -p /dev/shm/out\n${SCRIPT.split('\n').slice(1).join('\n')}`);
    chmodSync(join(b, 'rootfs', 'in-container-hook.sh'), 0o755);
    t.notOk(existsSync('/in-container-hook.sh'), 'the startContainer hook\'s path does not exist on the host');
    const payloadOut = `${env.dir}/${id}.out`;
    const run = env.create(id, b, payloadOut);
    t.equal(await run.created, 0, 'create succeeds');
    t.equal(read(`${out}/order`), 'createRuntime\ncreateContainer', 'createContainer ran during create, after createRuntime');
    const st = JSON.parse(read(`${out}/createContainer.state`)) as { id: string; status: string; pid: number; bundle: string };
    t.equal(st.id, id, 'the state on stdin names the container');
    t.equal(st.status, 'creating', 'status creating');
    t.equal(st.bundle, b, 'and its bundle');
    const ccNs = read(`${out}/createContainer.ns`);
    t.ok(st.pid > 0 && readlinkSync(`/proc/${st.pid}/ns/pid`) === field(ccNs, 'pid'), 'its pid is the container process, whose pid namespace the hook is in');
    t.not(field(ccNs, 'mnt'), readlinkSync('/proc/self/ns/mnt'), 'not the runtime\'s mount namespace');
    t.not(field(ccNs, 'user'), readlinkSync('/proc/self/ns/user'), 'not the host\'s user namespace');
    t.equal(read(`${out}/createContainer.args`), 'createContainer extra-arg', 'args as given');
    t.equal(read(`${out}/createContainer.env`), 'given unset', 'exactly its env');
    t.equal(env.oci(['start', id]).code, 0, 'start');
    await run.exited;
    const p = read(payloadOut);
    for (const n of ['net', 'uts', 'ipc', 'pid', 'user']) t.equal(field(ccNs, n), field(p, n), `createContainer: the container's ${n} namespace`);
    const ccSt = read(`${out}/createContainer.status`);
    t.match(field(ccSt, 'Uid'), /^0\s+0\s+0\s+0$/, 'createContainer runs as the container\'s root (uid 0 of its user namespace)');
    t.equal(field(ccSt, 'CapEff'), field(p, 'CapEff'), 'with the container\'s capabilities, no more');
    t.equal(field(ccSt, 'NoNewPrivs'), '1', 'and no_new_privs');
    t.match(p, /order=createContainer,?$|order=startContainer,?$/m, 'the startContainer hook wrote inside the container');
    t.match(p, /^order=startContainer,$/m, 'startContainer ran once, before the payload');
    t.equal(field(p, 'sc-args'), 'startContainer extra-arg', 'startContainer: args as given');
    t.equal(field(p, 'sc-env'), 'given unset', 'startContainer: exactly its env');
    t.equal((JSON.parse(field(p, 'sc-state') ?? '{}') as { id?: string; pid?: number }).pid, st.pid, 'startContainer: the state with the container\'s host pid');
    for (const n of ['mnt', 'net', 'uts', 'ipc', 'pid', 'user']) t.equal(field(p, `sc-ns-${n}`), field(p, n), `startContainer: the container's ${n} namespace`);
    for (const k of ['Uid', 'CapEff', 'NoNewPrivs']) t.equal(field(p, `sc-st-${k}`), field(p, k), `startContainer: the process's ${k}`);
    t.equal(field(p, 'sc-st-Seccomp'), '0', 'startContainer runs before the container\'s filter (as runc with no_new_privs)');
    t.equal(field(p, 'Seccomp'), '2', 'the payload runs under it');
    t.equal(env.oci(['delete', id]).code, 0, 'delete');
    t.same(env.leftovers([id]), [], 'nothing left');
  });

  t.test('a failing or timed-out createContainer hook fails create, the payload never runs, nothing left', async (t) => {
    for (const [name, extra, timeout, msg] of [
      ['ccfail', ['FAIL=1'], undefined, /createContainer hook .*hook\.sh: exit 3 \(hook createContainer says no\)/],
      ['cctimeout', ['SLEEP=600'], 1, /createContainer hook .*hook\.sh: timed out after 1 s/],
    ] as const) {
      const id = env.newId(name);
      const out = outDir(name);
      const payloadOut = `${env.dir}/${id}.out`;
      const b = await env.bundle(name, (c) => { c.process.args = ['sh', '-c', 'echo payload-ran']; c.hooks = { createContainer: [hook(hostHook, 'createContainer', out, [...extra], timeout)], poststop: [hook(hostHook, 'poststop', out)] }; });
      const r = env.oci(['create', '--bundle', b, id]);
      t.not(r.code, 0, `${name}: create fails`);
      t.match(r.stderr, msg, `${name}: naming the hook and why`);
      t.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line`);
      t.equal(read(payloadOut), '', `${name}: the payload never ran`);
      t.match(read(`${out}/order`), /createContainer\npoststop$/, `${name}: the lifecycle goes on to poststop`);
      t.same(env.leftovers([id]), [], `${name}: nothing left`);
    }
  });

  t.test('a failing startContainer hook fails start, the payload never runs', async (t) => {
    const id = env.newId('scfail');
    const out = outDir('scfail');
    const payloadOut = `${env.dir}/${id}.out`;
    const b = await env.bundle('scfail', (c) => { c.process.args = ['sh', '-c', 'echo payload-ran']; c.hooks = { startContainer: [hook(hostHook, 'startContainer', out, ['FAIL=1'])] }; });
    // the host's script is not in the container's root: resolved inside, it is not found
    const run = env.create(id, b, payloadOut);
    t.equal(await run.created, 0, 'create succeeds');
    const r = env.oci(['start', id]);
    t.not(r.code, 0, 'start fails');
    t.match(r.stderr, /startContainer hook .*hook\.sh: exit 127 \(execve: No such file or directory\)/, 'naming the hook: its host path does not resolve in the container\'s root');
    await run.exited;
    t.equal(read(payloadOut), '', 'the payload never ran');
    t.equal(env.oci(['delete', id]).code, 0, 'delete');
    t.same(env.leftovers([id]), [], 'nothing left');
  });
}
