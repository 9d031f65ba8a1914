// test/oci/hooks.test.ts — config.json hooks: prestart/createRuntime before the payload with the state on stdin, poststart at start, poststop at delete; args, env, timeout; a failing create hook leaves nothing (tests, root)
import t from 'tap';
import { chmodSync, existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import { OciEnv, rootMissing } from './bundle.js';

const skip = rootMissing() || busyboxMissing();
if (skip) t.plan(0, skip);
else {
  const env = new OciEnv('hooks');
  t.teardown(() => env.cleanup());
  // one script for every stage: $1 names it; what it saw goes to files under $OUT
  const hook = join(env.dir, 'hook.sh');
  writeFileSync(hook, `#!/bin/sh
/bin/cat > "$OUT/$1.state"
echo "$*" > "$OUT/$1.args"
echo "\${TSSANDBOX_RUN_ROOT:-unset} \${MARK:-none}" > "$OUT/$1.env"
/bin/readlink /proc/self/ns/mnt > "$OUT/$1.mntns"
echo "$1" >> "$OUT/order"
if [ -e "$STATEDIR" ]; then echo present; else echo absent; fi > "$OUT/$1.statedir"
if [ -n "$PAYLOAD_OUT" ]; then /bin/cat "$PAYLOAD_OUT" > "$OUT/$1.payload" 2>/dev/null; fi
if [ -n "$SLEEP" ]; then /bin/sleep "$SLEEP"; fi
if [ -n "$FAIL" ]; then echo "hook $1 says no" >&2; exit 3; fi
exit 0
`);
  chmodSync(hook, 0o755);
  const h = (stage: string, out: string, extra: string[] = [], timeout?: number) => ({ path: hook, args: ['hook', stage, 'extra-arg'], env: [`OUT=${out}`, 'MARK=given', ...extra], ...(timeout ? { timeout } : {}) });
  const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').trim() : '');

  t.test('prestart and createRuntime at create, poststart at start, poststop at delete', async (t) => {
    const id = env.newId('all');
    const out = join(env.dir, 'all-out');
    const payloadOut = `${env.dir}/${id}.out`;
    const sd = [`STATEDIR=${join(env.state, id)}`, `PAYLOAD_OUT=${payloadOut}`];
    const b = await env.bundle('all', (c) => {
      c.process.args = ['sh', '-c', 'echo payload-ran; busybox sleep 1000'];
      c.hooks = { prestart: [h('prestart', out, sd)], createRuntime: [h('createRuntime', out, sd)], poststart: [h('poststart', out, sd)], poststop: [h('poststop', out, sd)] };
    });
    spawnMkdir(out);
    const run = env.create(id, b, payloadOut);
    t.equal(await run.created, 0, 'create succeeds');
    t.equal(read(`${out}/order`), 'prestart\ncreateRuntime', 'prestart then createRuntime ran during create, nothing else yet');
    const st = JSON.parse(read(`${out}/createRuntime.state`)) as { ociVersion: string; id: string; status: string; pid: number; bundle: string };
    t.equal(st.id, id, 'the state on stdin names the container');
    t.equal(st.status, 'creating', 'status creating');
    t.equal(st.bundle, b, 'and its bundle');
    t.ok(st.pid > 0 && readlinkSync(`/proc/${st.pid}/ns/pid`) !== readlinkSync('/proc/self/ns/pid'), 'its pid is the container process (in its own pid namespace)');
    t.equal(read(`${out}/createRuntime.mntns`), readlinkSync('/proc/self/ns/mnt'), 'the hook ran in the runtime\'s mount namespace');
    t.equal(read(`${out}/createRuntime.args`), 'createRuntime extra-arg', 'args as given');
    t.equal(read(`${out}/createRuntime.env`), 'unset given', 'exactly its env: the runtime\'s own environment is not passed');
    t.equal(read(`${out}/createRuntime.payload`), '', 'the payload had not run');
    t.equal(env.oci(['start', id]).code, 0, 'start');
    t.equal(read(`${out}/order`), 'prestart\ncreateRuntime\npoststart', 'poststart ran before start returned');
    t.equal((JSON.parse(read(`${out}/poststart.state`)) as { status: string }).status, 'running', 'poststart sees running');
    t.equal(env.oci(['kill', id, 'KILL']).code, 0);
    await run.exited;
    t.equal(read(`${out}/order`), 'prestart\ncreateRuntime\npoststart', 'no poststop before delete');
    t.equal(env.oci(['delete', id]).code, 0, 'delete');
    t.equal(read(`${out}/order`), 'prestart\ncreateRuntime\npoststart\npoststop', 'poststop ran before delete returned');
    const ps = JSON.parse(read(`${out}/poststop.state`)) as { status: string; pid?: number };
    t.equal(ps.status, 'stopped', 'poststop sees stopped');
    t.notOk(ps.pid, 'and no pid');
    t.equal(read(`${out}/poststop.statedir`), 'absent', 'after the container was destroyed');
    t.same(env.leftovers([id]), []);
  });

  t.test('a failing or timed-out createRuntime/prestart hook fails create and leaves nothing', async (t) => {
    const cases: [string, (out: string) => Record<string, unknown>, RegExp][] = [
      ['fails', (out) => ({ createRuntime: [h('createRuntime', out, ['FAIL=1'])], poststop: [h('poststop', out)] }), /createRuntime hook .*hook\.sh: exit 3 \(hook createRuntime says no\)/],
      ['prefails', (out) => ({ prestart: [h('prestart', out, ['FAIL=1'])], createRuntime: [h('createRuntime', out)] }), /prestart hook .*exit 3/],
      ['timeout', (out) => ({ createRuntime: [h('createRuntime', out, ['SLEEP=600'], 1)] }), /createRuntime hook .*timed out after 1 s/],
    ];
    for (const [name, hooks, msg] of cases) {
      const id = env.newId(name);
      const out = join(env.dir, `${name}-out`);
      spawnMkdir(out);
      const payloadOut = `${env.dir}/${id}.out`;
      const b = await env.bundle(name, (c) => { c.process.args = ['sh', '-c', 'echo payload-ran']; c.hooks = hooks(out); });
      const r = env.oci(['create', '--bundle', b, id], ['--log', `${env.dir}/${name}.log`]);
      t.not(r.code, 0, `${name}: create fails`);
      t.match(r.stderr, msg, `${name}: one line naming the hook and why`);
      t.equal(read(payloadOut), '', `${name}: the payload never ran`);
      t.same(env.leftovers([id]), [], `${name}: no state dir, id slot or cgroup left`);
      if (name === 'fails') t.equal(read(`${out}/order`), 'createRuntime\npoststop', 'the lifecycle goes on to poststop');
      if (name === 'prefails') t.equal(read(`${out}/order`), 'prestart', 'the hooks after the failing one do not run');
    }
  });

  t.test('failing poststart and poststop hooks are warnings', async (t) => {
    const id = env.newId('warn');
    const out = join(env.dir, 'warn-out');
    spawnMkdir(out);
    const b = await env.bundle('warn', (c) => { c.process.args = ['true']; c.hooks = { poststart: [h('poststart', out, ['FAIL=1'])], poststop: [h('poststop', out, ['FAIL=1'])] }; });
    const run = env.create(id, b, `${env.dir}/${id}.out`);
    t.equal(await run.created, 0);
    const log = `${env.dir}/warn.log`;
    t.equal(env.oci(['start', id], ['--log', log]).code, 0, 'start succeeds');
    t.match(read(log), /level=warning.*poststart hook .*exit 3/, 'its failure is logged as a warning');
    await run.exited;
    t.equal(env.oci(['delete', id], ['--log', log]).code, 0, 'delete succeeds');
    t.match(read(log), /level=warning.*poststop hook .*exit 3/, 'poststop\'s too');
    t.same(env.leftovers([id]), []);
  });
}

function spawnMkdir(d: string): void { mkdirSync(d, { recursive: true }); }
