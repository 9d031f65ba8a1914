// test/selftest/expectations.test.ts — probe output parser, catalog and per-profile expectations (host, pure)
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';
import { LAYERS, PROBE_CATALOG, PROBE_IDS } from '../../sandbox/selftest/catalog.js';
import { EXPECTATIONS, PROFILE_NAMES, judgeRun, withoutLayer } from '../../sandbox/selftest/expectations.js';
import { parseProbeOutput } from '../../sandbox/selftest/probe-format.js';
import { SandboxError } from '../../common/errors.js';
import { probeArgv, probeEnv } from '../../sandbox/selftest/probe-args.js';

const line = (probe: string, result: string, errno: string | null = null, detail = 'd'): string =>
  JSON.stringify({ probe, result, errno, detail });
const START = '{"meta":"start","version":1,"detail":"s"}';
const DONE = '{"meta":"done","version":1,"detail":"n probes"}';

t.test('the catalog: unique ids, known layers, the same probes as probe.c', async (t) => {
  t.equal(new Set(PROBE_IDS).size, PROBE_IDS.length, 'ids are unique');
  for (const p of PROBE_CATALOG) for (const l of p.layers) t.ok(l in LAYERS, `${p.id}: layer ${l}`);
  // the C table is the other half of the contract; compare without running the binary
  const src = readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'probe', 'probe.c'), 'utf8');
  const cIds = [...src.matchAll(/\{ "([a-z0-9_]+)", probe_\1, \d+ \}/g)].map((m) => m[1]);
  t.same(cIds, PROBE_IDS, 'probe.c PROBES[] lists the catalog ids in order');
});

t.test('expectations: every profile covers every probe; strict allows nothing', async (t) => {
  for (const profile of PROFILE_NAMES) t.same(Object.keys(EXPECTATIONS[profile]).sort(), [...PROBE_IDS].sort(), profile);
  t.same(Object.values(EXPECTATIONS.strict).filter((e) => e !== 'stopped'), [], 'strict: every probe stopped');
  t.equal(EXPECTATIONS.unconfined.mount, 'allowed', 'unconfined lets each probe show it detects');
  t.equal(EXPECTATIONS.unconfined.init_module, 'stopped', 'the user namespace holds even unconfined');
});

t.test('parseProbeOutput', async (t) => {
  const run = parseProbeOutput([START, line('mount', 'blocked', 'EPERM'), 'bwrap: warning', line('caps', 'allowed'), DONE, ''].join('\n'));
  t.equal(run.started && run.complete, true);
  t.equal(run.results.get('mount')?.errno, 'EPERM');
  t.same(run.stray, ['bwrap: warning']);
  t.equal(run.refused, null);

  const refused = parseProbeOutput('{"meta":"refused","version":1,"detail":"safety gate: no token"}\n');
  t.equal(refused.refused, 'safety gate: no token');
  t.equal(refused.started, false);

  t.throws(() => parseProbeOutput(line('mount', 'maybe')), { code: 'TSS_ESELFTEST', message: /result/ }, 'unknown result');
  t.throws(() => parseProbeOutput(line('mount', 'blocked', 'eperm')), SandboxError, 'malformed errno');
  t.throws(() => parseProbeOutput(`${line('mount', 'blocked')}\n${line('mount', 'allowed')}`), /reported twice/);
  t.throws(() => parseProbeOutput('{"probe":"mount","result":"blocked","errno":null,"detail":"d","extra":1}'), { code: 'TSS_ESELFTEST' });
  t.throws(() => parseProbeOutput('{not json'), /not JSON/);
});

t.test('judgeRun: escapes, kernel-unavailable, missing and not-run probes', async (t) => {
  const lines = PROBE_IDS.filter((id) => id !== 'memory_hog' && id !== 'host_loopback' && id !== 'caps')
    .map((id) => line(id, id === 'mount' ? 'allowed' : id === 'kexec_load' ? 'unavailable' : 'blocked', null, `why ${id}`));
  const run = parseProbeOutput([START, ...lines, line('brand_new', 'blocked'), DONE].join('\n'));
  const j = judgeRun('strict', run);
  t.same(j.escapes.map((r) => r.probe), ['mount'], 'an allowed mount under strict is an escape');
  t.same(j.unavailable.map((r) => r.probe), ['kexec_load']);
  t.same(j.failures.map((r) => r.probe).sort(), ['caps', 'mount'], 'caps printed nothing: a failure');
  t.equal(j.rows.find((r) => r.probe === 'memory_hog')?.got, 'not-run', 'needs a bound the harness did not give');
  t.same(j.unknown, ['brand_new']);
  t.same(j.rows.find((r) => r.probe === 'mount')?.layers, ['seccomp', 'caps']);
  t.equal(j.complete, true);

  // under unconfined the same mount is what is expected, and unavailable counts as the kernel's say
  const u = judgeRun('unconfined', run);
  t.equal(u.rows.find((r) => r.probe === 'mount')?.ok, true);
  t.equal(u.rows.find((r) => r.probe === 'kexec_load')?.ok, true);
  t.equal(u.rows.find((r) => r.probe === 'unshare')?.ok, false, 'unconfined expects unshare to work');
});

t.test('withoutLayer: single-credited probes must get through, defence in depth must hold', async (t) => {
  const noSeccomp = withoutLayer('seccomp');
  t.equal(noSeccomp.userns_nested, 'allowed', 'only seccomp stops nested user namespaces');
  t.equal(noSeccomp.mount, 'stopped', 'caps still stop mount');
  t.equal(noSeccomp.rootfs_write, 'stopped', 'not credited to seccomp at all');
  t.equal(withoutLayer('readonly-root').rootfs_write, 'allowed');
});

t.test('probeArgv and probeEnv', async (t) => {
  t.same(probeArgv({ token: 'x'.repeat(16), hostPort: 8080, memMib: 1024, only: ['a', 'b'] }),
    ['--token', 'x'.repeat(16), '--host-port', '8080', '--mem-mib', '1024', '--only', 'a,b']);
  t.same(probeEnv('tok', { user: 1, mnt: 2, pid: 3, net: 4 }), {
    TSS_PROBE_TOKEN: 'tok', TSS_PROBE_HOST_USERNS: '1', TSS_PROBE_HOST_MNTNS: '2', TSS_PROBE_HOST_PIDNS: '3', TSS_PROBE_HOST_NETNS: '4',
  });
});
