// test/cgroups/freezer.test.ts — freeze/thaw on each freezer the host has: cgroup2's cgroup.freeze and the v1 freezer hierarchy, each alone; a busy process stops using CPU and runs again (host, root)
//
// A container's handle picks cgroup2 where a cgroup2 node exists (a hybrid host's unified
// hierarchy too) and the v1 freezer otherwise; here each path gets a handle holding only its own
// nodes, so a hybrid host checks both the way a v1-only and a v2-only host would use them.
import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Cgroup } from '../../sandbox/cgroups/handle.js';
import { hostCgroups } from './host-cgroups.js';
import { procState } from '../helpers/freezer.js';

const PARENT = `tss-test-freezer-${process.pid}`;
const { m, skip } = hostCgroups(PARENT);

const paths = [
  { name: 'cgroup2 cgroup.freeze', version: 'v2' as const, file: 'cgroup.events', frozen: /^frozen 1$/m, thawed: /^frozen 0$/m },
  { name: 'v1 freezer.state', version: 'v1' as const, file: 'freezer.state', frozen: /^FROZEN$/, thawed: /^THAWED$/ },
];

for (const p of paths) {
  t.test(`${p.name}: a busy process is frozen, makes no progress, and runs again once thawed`, { skip }, async (t) => {
    const full = m!.create(`tss-test-freezer-${process.pid}-${p.version}`, {}, PARENT);
    const child = spawn('sh', ['-c', 'read go; while true; do i=$((i+1)); done'], { stdio: ['pipe', 'ignore', 'ignore'] });
    const exit = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, s) => r(s)));
    t.teardown(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      full.thaw();
      full.killAll();
      full.remove();
      await exit;
    });
    const nodes = full.nodes.filter((n) => n.version === p.version && (p.version === 'v2' || n.controllers.includes('freezer')));
    if (!nodes.length) { t.plan(0, `no ${p.name} on this host`); return; }
    const h = new Cgroup(full.id, nodes);
    full.addProcess(child.pid!);
    child.stdin!.end('go\n');
    const dir = nodes[0]!.dir;
    const read = () => readFileSync(join(dir, p.file), 'utf8').trim();
    for (let i = 0; i < 300 && procState(child.pid!).ticks === 0; i++) await delay(20);
    t.equal(procState(child.pid!).state, 'R', 'the loop is runnable');
    t.match(read(), p.thawed);

    h.freeze();
    t.match(read(), p.frozen, `${p.file} says frozen once freeze() returns`);
    const before = procState(child.pid!);
    t.not(before.state, 'R', `not runnable while frozen (${before.state})`);
    // work that takes real time in this process; a running loop would gain CPU ticks meanwhile
    for (let i = 0; i < 20; i++) readFileSync('/proc/self/mountinfo');
    await delay(200);
    t.equal(procState(child.pid!).ticks, before.ticks, 'no CPU time while frozen');

    h.thaw();
    t.match(read(), p.thawed, `${p.file} says thawed once thaw() returns`);
    for (let i = 0; i < 300 && procState(child.pid!).ticks === before.ticks; i++) await delay(20);
    t.ok(procState(child.pid!).ticks > before.ticks, 'the loop runs again');
  });
}
