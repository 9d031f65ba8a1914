// test/oci/pause.test.ts — pause/resume: the container's cgroup is frozen (the kernel says so), its busy loop makes no progress, state says paused; refusals; kill and delete --force of a paused container (tests, root)
import t from 'tap';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import { freezerOf, procState } from '../helpers/freezer.js';
import { OciEnv, rootMissing } from './bundle.js';
import { StateSchema } from './runtime-spec-schemas.js';

const skip = rootMissing() || busyboxMissing();

if (skip) t.plan(0, skip);
else {
  const env = new OciEnv('pause');
  t.teardown(() => env.cleanup());

  const status = (id: string): string | undefined => {
    const r = env.oci(['state', id]);
    if (r.code !== 0) return undefined;
    const s = JSON.parse(r.stdout) as { status?: unknown };
    // the schema's enum stops at stopped; the spec's prose lets a runtime add values and runc adds
    // "paused" (podman and containerd read it): the rest of the object must still validate
    const v = StateSchema.safeParse(s.status === 'paused' ? { ...s, status: 'running' } : s);
    if (!v.success) throw new Error(`state of ${id} does not validate: ${v.error.message}`);
    return s.status as string;
  };

  /** a started container whose pid 1 is a busy shell loop (always runnable unless frozen) */
  const busy = async (label: string) => {
    const b = await env.bundle(label, (c) => { c.process.args = ['sh', '-c', 'while true; do i=$((i+1)); done']; });
    const id = env.newId(label);
    const run = env.create(id, b, `${env.dir}/${id}.out`);
    if (await run.created !== 0) throw new Error(`create ${id} failed`);
    return { id, run };
  };
  const payloadOf = (id: string): number => {
    const pids = JSON.parse(env.oci(['ps', '--format', 'json', id]).stdout) as number[];
    const p = pids.find((x) => { try { return readFileSync(`/proc/${x}/cmdline`, 'utf8').includes('while true'); } catch { return false; } });
    if (!p) throw new Error(`${id}: no busy loop among ${pids.join(' ')}`);
    return p;
  };

  t.test('pause freezes the cgroup and the loop stops; resume thaws it and the loop runs again', async (t) => {
    const { id, run } = await busy('busy');
    t.match(env.oci(['pause', id]).stderr, /container not running \(it is created\)/, 'a created container cannot be paused');
    t.equal(env.oci(['start', id]).code, 0);
    const pid = payloadOf(id);
    t.equal(procState(pid).state, 'R', 'the loop is runnable before pause');
    t.equal(freezerOf(pid).frozen, false);

    const p = env.oci(['pause', id]);
    t.equal(p.code, 0, p.stderr);
    t.equal(status(id), 'paused', 'state says paused');
    const fz = freezerOf(pid);
    t.equal(fz.frozen, true, `the kernel reports the cgroup frozen (${fz.kind} freezer)`);
    const frozen = procState(pid);
    t.not(frozen.state, 'R', `the loop is not runnable while frozen (${frozen.state})`);
    // every refusal below takes a CLI call's time; the loop would use CPU during it if it ran
    t.match(env.oci(['pause', id]).stderr, /container not running \(it is paused\)/, 'pause twice is refused');
    t.match(env.oci(['exec', id, 'true']).stderr, /cannot exec in a container that is paused/);
    t.match(env.oci(['delete', id]).stderr, /cannot delete a paused container \(use --force\)/);
    t.equal(status(id), 'paused', 'still paused after the refusals');
    t.equal(procState(pid).ticks, frozen.ticks, 'no CPU time was used while paused');

    const r = env.oci(['resume', id]);
    t.equal(r.code, 0, r.stderr);
    t.equal(status(id), 'running', 'state says running');
    t.equal(freezerOf(pid).frozen, false, 'thawed');
    for (let i = 0; i < 300 && procState(pid).ticks === frozen.ticks; i++) await delay(20);
    t.ok(procState(pid).ticks > frozen.ticks, 'the loop uses CPU again');
    t.match(env.oci(['resume', id]).stderr, /container not paused \(it is running\)/, 'resume of a running container is refused');

    t.equal(env.oci(['pause', id]).code, 0, 'pause again');
    t.equal(env.oci(['kill', id, 'KILL']).code, 0, 'kill KILL of a paused container');
    t.equal((await run.exited).status, 137, 'it dies (thawed after the signal, as runc does)');
    t.equal(status(id), 'stopped');
    t.match(env.oci(['resume', id]).stderr, /container not paused \(it is stopped\)/);
    t.equal(env.oci(['delete', id]).code, 0);
    t.same(env.leftovers([id]), []);
  });

  t.test('delete --force of a paused container removes everything', async (t) => {
    const { id, run } = await busy('force');
    t.equal(env.oci(['start', id]).code, 0);
    t.equal(env.oci(['pause', id]).code, 0);
    t.equal(status(id), 'paused');
    const d = env.oci(['delete', '--force', id]);
    t.equal(d.code, 0, d.stderr);
    t.equal((await run.exited).status, 137, 'the supervisor exited with the SIGKILLed payload\'s status');
    t.same(env.leftovers([id]), [], 'no state dir, id slot or cgroup left');
  });

  t.test('pause and resume of a container that does not exist: one line naming it', async (t) => {
    for (const verb of ['pause', 'resume']) {
      const r = env.oci([verb, 'no-such-ctr']);
      t.equal(r.code, 1);
      t.match(r.stderr, /^tssandbox: .*no-such-ctr.*container does not exist\n$/);
    }
  });
}
