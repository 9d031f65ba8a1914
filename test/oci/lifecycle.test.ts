// test/oci/lifecycle.test.ts — create/start/state/kill/delete on a busybox bundle, state asserted at every step; exit statuses through the pid file; refusals leave nothing (tests, root)
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { AUDIT_ARCH, syscallNumber } from '../../abi/index.js';
import { DEFAULT_NODE_CONFIG } from '../../oci/policy.js';
import { evaluate, formatAction, loadProfile } from '../../policy/index.js';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import { OciEnv, rootMissing } from './bundle.js';
import { StateSchema } from './runtime-spec-schemas.js';

const skip = rootMissing() || busyboxMissing();
if (skip) t.plan(0, skip);
else {
  const env = new OciEnv('life');
  t.teardown(() => env.cleanup());

  const state = (id: string): { code: number; stderr?: string; status?: string; bundle?: string; pid?: number; annotations?: Record<string, string> } => {
    const r = env.oci(['state', id]);
    if (r.code !== 0) return { code: r.code, stderr: r.stderr };
    const s = JSON.parse(r.stdout) as unknown;
    const v = StateSchema.safeParse(s);
    if (!v.success) throw new Error(`state of ${id} does not validate: ${v.error.message}`);
    return { code: 0, ...v.data };
  };

  t.test('create waits, start releases, kill ends it, delete removes everything', async (t) => {
    const b = await env.bundle('loop', (c) => { c.process.args = ['sh', '-c', 'echo started; trap "exit 0" TERM; while true; do busybox sleep 0.1; done']; });
    const id = env.newId('loop');
    const out = `${env.dir}/${id}.out`;
    const run = env.create(id, b, out);
    t.equal(await run.created, 0, 'create succeeds');
    const s1 = state(id);
    t.equal(s1.status, 'created', 'created after create');
    t.equal(s1.bundle, b);
    t.equal(s1.pid, Number(readFileSync(`${env.dir}/${id}.pid`, 'utf8')), 'state pid is the pid file\'s (the supervisor)');
    t.ok(existsSync(`/proc/${s1.pid}`), 'the supervisor is alive');
    t.equal(existsSync(out) ? readFileSync(out, 'utf8') : '', '', 'nothing of the payload ran before start');
    t.equal(env.oci(['create', '--bundle', b, id]).code, 1, 'a second create with the same id is refused');
    t.equal(env.oci(['start', id]).code, 0, 'start succeeds');
    t.equal(state(id).status, 'running', 'running after start');
    t.not(env.oci(['start', id]).code, 0, 'start of a running container fails');
    t.not(env.oci(['delete', id]).code, 0, 'delete of a running container needs --force');
    const ps = JSON.parse(env.oci(['ps', '--format', 'json', id]).stdout) as number[];
    t.ok(ps.length >= 1, 'ps lists the container\'s processes');
    const list = JSON.parse(env.oci(['list', '--format', 'json']).stdout) as { id: string; status: string }[];
    t.same(list.find((x) => x.id === id)?.status, 'running', 'list shows it running');
    t.equal(env.oci(['kill', id, 'TERM'], ['--log', `${env.dir}/log.json`, '--log-format', 'json']).code, 0, 'kill TERM (with runc-style globals)');
    const ex = await run.exited;
    t.equal(ex.status, 0, 'the pid-file process exits with the payload\'s status (trap → exit 0)');
    t.match(readFileSync(out, 'utf8'), /started/, 'the payload wrote to the caller\'s stdout');
    const s2 = state(id);
    t.equal(s2.status, 'stopped', 'stopped after exit');
    t.notOk('pid' in s2 && s2.pid, 'no pid once stopped');
    t.not(env.oci(['kill', id, '9']).code, 0, 'kill of a stopped container fails');
    t.equal(env.oci(['delete', id]).code, 0, 'delete');
    t.match(env.oci(['state', id]).stderr, /does not exist/, 'state after delete: does not exist');
    t.same(env.leftovers([id]), [], 'no state dir, id slot or cgroup left');
  });

  t.test('exit statuses reach the reaper of the pid file', async (t) => {
    for (const [args, want] of [[['sh', '-c', 'exit 3'], 3], [['true'], 0]] as const) {
      const b = await env.bundle(`exit${want}`, (c) => { c.process.args = args; });
      const id = env.newId(`exit${want}`);
      const run = env.create(id, b, `${env.dir}/${id}.out`);
      t.equal(await run.created, 0);
      t.equal(env.oci(['start', id]).code, 0);
      t.equal((await run.exited).status, want, `${args.join(' ')} → ${want}`);
      t.equal(state(id).status, 'stopped');
      t.equal(env.oci(['delete', id]).code, 0);
    }
    // pid 1 of a pid namespace cannot SIGKILL itself: the signal comes from outside, by `kill`
    const b = await env.bundle('killed', (c) => { c.process.args = ['busybox', 'sleep', '1000']; });
    const id = env.newId('killed');
    const run = env.create(id, b, `${env.dir}/${id}.out`);
    t.equal(await run.created, 0);
    t.equal(env.oci(['start', id]).code, 0);
    t.equal(env.oci(['kill', id, 'SIGKILL']).code, 0);
    t.equal((await run.exited).status, 137, 'kill SIGKILL → 137');
    t.equal(env.oci(['delete', id]).code, 0);
    t.same(env.leftovers(), []);
  });

  t.test('a created container deleted before start never runs its payload', async (t) => {
    const b = await env.bundle('never', (c) => { c.process.args = ['sh', '-c', 'echo ran']; });
    const id = env.newId('never');
    const out = `${env.dir}/${id}.out`;
    const run = env.create(id, b, out);
    t.equal(await run.created, 0);
    t.equal(env.oci(['delete', id]).code, 0, 'delete of a created container needs no --force (runc)');
    t.equal((await run.exited).status, 137, 'its supervisor exits as killed');
    t.equal(existsSync(out) ? readFileSync(out, 'utf8') : '', '', 'the payload never ran');
    t.same(env.leftovers([id]), []);
  });

  t.test('refusals at create name the reason and leave nothing', async (t) => {
    const cases: [string, (c: Record<string, any>) => void, RegExp, number][] = [
      ['notfound', (c) => { c.process.args = ['no-such-command']; }, /executable file not found/, 127],
      ['unconfined', (c) => { c.annotations = { 'org.tssandbox.profile': 'unconfined' }; }, /may only tighten/, 1],
      ['notallowed', (c) => { c.annotations = { 'org.tssandbox.profile': 'lab' }; }, /the node allows only/, 1],
      ['hooks', (c) => { c.hooks = { createContainer: [{ path: 'bin/true' }] }; }, /hooks\.createContainer\[0\]\.path.*not an absolute path/, 1],
      ['badjson', (c) => { c.process.args = []; }, /process\.args/, 1],
    ];
    for (const [name, edit, msg, code] of cases) {
      const b = await env.bundle(name, edit);
      const id = env.newId(name);
      const r = env.oci(['create', '--bundle', b, id], ['--log', `${env.dir}/${name}.log`, '--log-format', 'json']);
      t.equal(r.code, code, `${name}: exit ${code}`);
      t.match(r.stderr, msg, `${name}: stderr says why`);
      const logged = JSON.parse(readFileSync(`${env.dir}/${name}.log`, 'utf8').trim().split('\n').pop()!) as { level: string; msg: string };
      t.equal(logged.level, 'error', `${name}: --log-format json line`);
      t.match(logged.msg, msg);
      t.same(env.leftovers([id]), [], `${name}: nothing left`);
    }
  });

  t.test('strict by annotation: no capabilities, read-only root, the node profile\'s filter plus strict\'s', async (t) => {
    const b = await env.bundle('strict', (c) => {
      c.annotations = { 'org.tssandbox.profile': 'strict' };
      // arping's first call is socket(AF_PACKET): the kernel has the family and the node's default
      // filter allows it, so "not supported" can only be strict's filter answering EAFNOSUPPORT
      c.process.args = ['sh', '-c', 'grep -E "^(CapEff|Seccomp_filters|NoNewPrivs)" /proc/self/status; touch /x 2>/dev/null && echo wrote || echo rofs; arping -c 1 -w 1 -I lo 127.0.0.1 2>&1 | head -n 1'];
    });
    const id = env.newId('strict');
    const out = `${env.dir}/${id}.out`;
    const run = env.create(id, b, out);
    t.equal(await run.created, 0);
    t.equal(env.oci(['start', id]).code, 0);
    t.equal((await run.exited).status, 0);
    const o = readFileSync(out, 'utf8');
    t.match(o, /CapEff:\s+0000000000000000/);
    // one filter, not two stacked: the node's profile and strict intersected (oci/merge.ts), so the
    // supervisor sees the node's denials too (test/oci/audit.test.ts proves the node's rules apply)
    t.match(o, /Seccomp_filters:\s+1\n/, 'default (the node\'s) and strict as one filter');
    t.match(o, /NoNewPrivs:\s+1/);
    t.match(o, /rofs/);
    t.match(o, /socket.*Address family not supported/, 'a syscall only strict denies: socket(AF_PACKET) → EAFNOSUPPORT');
    const packet = { nr: syscallNumber('x86_64', 'socket')!, arch: AUDIT_ARCH.x86_64, args: [17n, 2n, 0n, 0n, 0n, 0n] };
    t.equal(formatAction(evaluate(loadProfile(DEFAULT_NODE_CONFIG.profile).seccomp!, 'x86_64', packet).action), 'allow', '…which the node\'s profile alone allows');
    t.ok(existsSync('/proc/net/packet'), '…and the kernel has AF_PACKET');
    t.equal(state(id).annotations?.['org.tssandbox.profile'], 'strict', 'state carries the bundle\'s annotations');
    t.equal(env.oci(['delete', id]).code, 0);
  });
}
