// test/selftest/fuzz-oci-config.test.ts — OCI config.json fuzz: mutated and truncated configs through readConfig → toSpec → planLaunch, and linux.seccomp through our compiler (host, no root; fixed seeds, small budgets)
//
// No crash: every refusal is a one-line SandboxError naming the field; no hang: the whole path is
// synchronous and bounded, so a budget overrun fails the test; nothing is written (the bundle dir
// holds only what the test put there afterwards). `TSS_FUZZ_SECONDS` gives a longer budget.
import t from 'tap';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SandboxError } from '../../common/errors.js';
import { readConfig, toSpec } from '../../oci/config.js';
import { defaultSpec } from '../../oci/features.js';
import { compileBundleSeccomp, seccompAgent } from '../../oci/policy.js';
import { planLaunch } from '../../sandbox/launch-plan.js';
import { pick, rng } from '../policy/random-policy.js';

const BUDGET_MS = Number(process.env.TSS_FUZZ_SECONDS ?? 3) * 1000;

type J = unknown;
const ODD: J[] = [null, true, false, 0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, '', '/', '..', '../../etc', '/proc/self/root', 'a\u0000b', 'x'.repeat(5000),
  [], [''], [{}], {}, { destination: '/dev/null', type: 'bind', source: '/etc/hostname' }, { type: 'user', path: '/proc/1/ns/user' },
  { containerID: 0, hostID: 0, size: 4294967295 }, { type: 'RLIMIT_NOFILE', soft: -1, hard: 2 ** 64 }, 'CAP_SYS_ADMIN', 'SCMP_ACT_ALLOW'];

/** the same seccomp section podman sends (shape), with room for mutation */
const SECCOMP = {
  defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  syscalls: [
    { names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' },
    { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }] },
    { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, valueTwo: 0, op: 'SCMP_CMP_EQ' }] },
  ],
};

function paths(v: J, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

function mutate(r: () => number, base: J): J {
  const doc = structuredClone(base) as Record<string, J>;
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const all = paths(doc).filter((p) => p.length > 0);
    const p = pick(r, all);
    const parent = p.slice(0, -1).reduce<J>((o, k) => (o as Record<string | number, J>)[k], doc) as Record<string | number, J> | J[];
    const key = p[p.length - 1]!;
    const roll = r();
    if (roll < 0.3) {
      if (Array.isArray(parent)) parent.splice(Number(key), 1); else delete (parent as Record<string, J>)[key as string];
    } else if (roll < 0.8) {
      (parent as Record<string | number, J>)[key] = structuredClone(pick(r, ODD));
    } else if (Array.isArray(parent)) {
      for (let k = 0; k < 1 + Math.floor(r() * 50); k++) parent.push(structuredClone(parent[Number(key)]));
    } else {
      (parent as Record<string, J>)[`x-${Math.floor(r() * 1000)}`] = structuredClone(pick(r, ODD));
    }
  }
  return doc;
}

const HOST = { stateDir: '/run/tssandbox-fuzz/none', rwDir: '/run/tssandbox-fuzz/none/rw', idBase: 1_000_000_000, idCount: 65536, cgroupProcs: [], seccomp: null };

t.test('mutated and truncated config.json: a named refusal or a plan, never a crash', async (t) => {
  const bundle = mkdtempSync(join(tmpdir(), 'tss-fuzz-oci-'));
  t.teardown(() => rmSync(bundle, { recursive: true, force: true }));
  const base = { ...defaultSpec(), linux: { ...(defaultSpec().linux as object), seccomp: SECCOMP } };
  const r = rng(0x0c1);
  const deadline = Date.now() + BUDGET_MS;
  let inputs = 0, refused = 0, planned = 0;
  const crashes: string[] = [];
  while (Date.now() < deadline || inputs < 200) {
    inputs++;
    const doc = mutate(r, base);
    let text = JSON.stringify(doc);
    if (r() < 0.1) text = text.slice(0, Math.floor(r() * text.length));
    writeFileSync(join(bundle, 'config.json'), text);
    try {
      const c = readConfig(bundle);
      const tr = toSpec(c, bundle);
      planLaunch(tr.spec, HOST);
      const sc = (c.linux as { seccomp?: unknown } | undefined)?.seccomp;
      if (sc !== undefined) seccompAgent(sc, (await compileBundleSeccomp(sc, tr.spec.process.capabilities.bounding))?.notify ?? false, () => {});
      planned++;
    } catch (e) {
      if (e instanceof SandboxError && !e.message.includes('\n')) { refused++; continue; }
      if (crashes.length < 5) crashes.push(`${(e as Error).stack?.split('\n').slice(0, 3).join(' | ')} ← ${text.slice(0, 300)}`);
    }
    if (inputs > 100_000) break;
  }
  t.same(crashes, [], 'every bad config is a one-line SandboxError');
  t.ok(planned > 0 && refused > 0, `both outcomes seen (${inputs} inputs: ${planned} planned, ${refused} refused)`);
  t.same(readdirSync(bundle), ['config.json'], 'nothing was written into the bundle');
});
