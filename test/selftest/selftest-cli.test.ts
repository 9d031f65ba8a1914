// test/selftest/selftest-cli.test.ts — `tssandbox selftest` on this machine: table, JSON, exit status (host; needs root, cc)
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { PROBE_CATALOG } from '../../sandbox/selftest/catalog.js';
import { batteryMissing } from '../helpers/battery.js';
import { CLI } from '../helpers/paths.js';

const missing = batteryMissing();
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });

t.test('selftest --format json: no probe allowed under strict, exit 0, kernel features listed', { skip: missing ?? false }, async (t) => {
  const r = cli('selftest', '--format', 'json');
  t.equal(r.status, 0, `exit 0 (stderr: ${r.stderr.trim()})`);
  const out = JSON.parse(r.stdout) as {
    ok: boolean; complete: boolean; rows: { probe: string; got: string; layers: string[] }[]; escapes: string[];
    unavailable: { probe: string; reason: string }[]; features: { name: string; ok: boolean; found: string; cost: string }[];
  };
  t.equal(out.ok, true);
  t.equal(out.complete, true);
  t.same(out.escapes, []);
  t.same(out.rows.map((x) => x.probe), PROBE_CATALOG.map((p) => p.id), 'one row per catalog probe, in order');
  for (const row of out.rows) t.not(row.got, 'allowed', `strict: ${row.probe} not allowed`);
  for (const u of out.unavailable) t.ok(u.reason.length > 0, `${u.probe} names the kernel reason`);
  const names = out.features.map((f) => f.name);
  for (const n of ['user namespaces', 'seccomp actions', 'seccomp user notification', 'SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP', 'cgroups', 'Landlock', 'idmapped mounts', 'overlayfs in a user namespace']) {
    t.ok(names.includes(n), `feature ${n} reported`);
  }
  for (const f of out.features) if (!f.ok) t.ok(f.cost.length > 0, `${f.name} missing: says what it costs`);
  const seccomp = out.features.find((f) => f.name === 'seccomp actions')!;
  t.match(seccomp.found, /errno/, 'actions read from /proc/sys/kernel/seccomp/actions_avail');
});

t.test('selftest table: probe, expected, got, layer', { skip: missing ?? false }, async (t) => {
  const r = cli('selftest');
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^PROBE\s+EXPECTED\s+GOT\s+LAYER/m);
  t.match(r.stdout, /^mount\s+stopped\s+blocked\s+seccomp,caps/m);
  t.match(r.stdout, /^FEATURE\s+OK\s+FOUND/m);
  t.match(r.stdout, /nothing strict should stop got through/);
});

t.test('selftest refuses a bad --format with a one-line usage error', async (t) => {
  const r = cli('selftest', '--format', 'yaml');
  t.equal(r.status, 125);
  t.match(r.stderr, /^tssandbox: use --format `yaml`: expected table or json\n$/);
});
