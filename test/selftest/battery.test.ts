// test/selftest/battery.test.ts — the escape battery under tssandbox itself, per built-in profile (host; needs root, cc)
//
// strict: nothing allowed, probe by probe. Every other built-in profile: the expectations table
// (sandbox/selftest/expectations.ts). A profile that does not exist yet is skipped with the reason.
import t from 'tap';
import { listBuiltinProfiles } from '../../policy/index.js';
import { EXPECTATIONS, PROFILE_NAMES, PROBE_CATALOG } from '../../sandbox/selftest/index.js';
import { knownCaps } from '../../sandbox/selftest/attribution.js';
import { describeRun, openBatteryEnv, runBattery, type BatteryEnv } from '../../sandbox/selftest/run-battery.js';
import { batteryMissing } from '../helpers/battery.js';

const missing = batteryMissing();

t.test('the battery under each built-in profile', { skip: missing ?? false }, async (t) => {
  let env: BatteryEnv | undefined;
  t.teardown(() => env?.close());
  env = await openBatteryEnv();
  const builtins = listBuiltinProfiles();

  for (const profile of PROFILE_NAMES) {
    const absent = builtins.includes(profile) ? false : `profile ${profile} does not exist yet (profiles/${profile}.yaml)`;
    t.test(profile, { skip: absent }, async (t) => {
      // unconfined is "root with every capability" in DESIGN §3: the profile grants Docker's 14 and
      // lets --cap-add add the rest, so the probes that need SYS_ADMIN & co. can show they work
      const flags = profile === 'unconfined' ? knownCaps().flatMap((c) => ['--cap-add', c]) : [];
      const r = await runBattery(env!, { profile, flags });
      const how = describeRun(r);
      t.equal(r.run.refused, null, `the probe's safety gate let it run (${how})`);
      t.ok(r.run.complete, `the probe ran to its end (${how})`);
      t.same(r.judgement.unknown, [], 'the probe printed no id the catalog does not know');
      for (const row of r.judgement.rows) {
        const msg = `${profile}: ${row.probe} expected ${row.expected}, got ${row.got}${row.errno ? ` (${row.errno})` : ''}: ${row.detail}`;
        if (profile === 'strict') t.not(row.got, 'allowed', msg);
        // the runtime sets no_new_privs whatever the profile says (sandbox/docker-spec.ts): reported
        t.ok(row.ok, msg);
      }
      // the kernel's reasons, listed (issue 9: unavailable probes named with the kernel reason)
      for (const u of r.judgement.unavailable) t.comment(`${profile}: ${u.probe} unavailable: ${u.detail}`);
      if (profile === 'unconfined') {
        // each probe the kernel permits succeeds: proves the probe detects what it claims
        for (const p of PROBE_CATALOG) {
          if (EXPECTATIONS.unconfined[p.id] !== 'allowed') continue;
          const row = r.judgement.rows.find((x) => x.probe === p.id)!;
          t.ok(row.got === 'allowed' || row.got === 'unavailable', `unconfined: ${p.id} detects what it claims (got ${row.got}: ${row.detail})`);
        }
      }
    });
  }
});

t.test('strict: the harness gave every resource probe its bound, and the limits stopped them', { skip: missing ?? false }, async (t) => {
  const env = await openBatteryEnv();
  t.teardown(() => env.close());
  const r = await runBattery(env, { profile: 'strict', only: ['fork_storm', 'memory_hog', 'host_loopback', 'host_abstract_unix'] });
  t.ok(r.limits.memMib > r.limits.memoryMib, 'memory hog bound above the memory limit');
  t.ok(r.limits.forkMax > r.limits.pids, 'fork storm bound above the pids limit');
  for (const id of ['fork_storm', 'memory_hog', 'host_loopback', 'host_abstract_unix']) {
    const row = r.judgement.rows.find((x) => x.probe === id)!;
    t.equal(row.got, 'blocked', `strict: ${id} ran and was stopped: ${row.detail}`);
  }
});
