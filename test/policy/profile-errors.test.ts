// test/policy/profile-errors.test.ts — malformed profiles each get one line naming file:line and field, exit 2 (tests, temp files)
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { SandboxError } from '../../common/errors.js';
import { loadProfile } from '../../policy/index.js';
import { CLI } from '../helpers/paths.js';
import { rng } from './random-policy.js';

const dir = mkdtempSync(join(tmpdir(), 'tss-profiles-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const S = 'seccomp:\n  rules:\n';

// [name, text, expected line, message fragment]
const CASES: Array<[string, string, number, RegExp]> = [
  ['typo-top', 'capabilitys: []\nseccomp: null\n', 1, /capabilitys: unknown field/],
  ['typo-nested', 'seccomp: null\nrootfs:\n  readonly: true\n', 3, /rootfs.readonly: unknown field/],
  ['unknown-syscall', `${S}    - {action: allow, syscalls: [opne]}\n`, 3, /unknown syscall `opne`/],
  ['unknown-syscall-2nd', `${S}    - {action: allow, syscalls: [read,\n        wirte]}\n`, 4, /unknown syscall `wirte`/],
  ['unknown-action', `${S}    - {action: permit, syscalls: [read]}\n`, 3, /unknown action `permit`/],
  ['unknown-errno', `${S}    - {action: errno(EWHAT), syscalls: [read]}\n`, 3, /unknown action/],
  ['bad-default', 'seccomp:\n  defaultAction: deny\n', 2, /unknown action `deny`/],
  ['unknown-group', `${S}    - {action: allow, syscalls: ["@nope"]}\n`, 3, /unknown syscall group/],
  ['group-cycle', 'seccomp:\n  groups:\n    a: ["@b"]\n    b: ["@a"]\n', 3, /includes itself/],
  ['unknown-arg', `${S}    - {action: allow, syscalls: socket, args: {family: 1}}\n`, 3, /no argument `family`/],
  ['arg-index-range', `${S}    - {action: allow, syscalls: socket, args: {"5": 1}}\n`, 3, /only 3 arguments/],
  ['unknown-constant', `${S}    - {action: allow, syscalls: socket, args: {domain: AF_UNIXX}}\n`, 3, /unknown constant `AF_UNIXX`/],
  ['int-too-wide', `${S}    - {action: allow, syscalls: socket, args: {domain: "0x100000028"}}\n`, 3, /does not fit the 32-bit/],
  ['float-value', `${S}    - {action: allow, syscalls: socket, args: {domain: 1.5}}\n`, 3, /not an integer/],
  ['unknown-op', `${S}    - {action: allow, syscalls: socket, args: {domain: {equals: 1}}}\n`, 3, /equals: unknown field/],
  ['empty-op', `${S}    - {action: allow, syscalls: socket, args: {domain: {}}}\n`, 3, /at least one operator/],
  ['no-argtypes', `${S}    - {action: allow, syscalls: rt_sigreturn, args: {"0": 1}}\n`, 3, /rt_sigreturn/],
  ['rule-typo', `${S}    - {action: allow, syscall: [read]}\n`, 3, /syscall: unknown field|syscalls/],
  ['rule-missing-action', `${S}    - {syscalls: [read]}\n`, 3, /action/],
  ['bad-arch', 'seccomp:\n  arches: [x86_65]\n', 2, /arches/],
  ['bad-network', 'seccomp: null\nnetwork: bridge\n', 2, /network/],
  ['bad-device', 'seccomp: null\ndevices: [sda]\n', 2, /devices\[0\]/],
  ['bad-cap', 'seccomp: null\ncapabilities: [CAP_FLY]\n', 2, /unknown capability `CAP_FLY`/],
  ['bad-capadd', 'seccomp: null\nloosen:\n  capAdd: [WALK]\n', 3, /unknown capability `WALK`/],
  ['bad-memory', 'seccomp: null\nlimits:\n  memory: lots\n', 3, /limits.memory/],
  ['negative-pids', 'seccomp: null\nlimits:\n  pids: -3\n', 3, /limits.pids/],
  ['bad-rlimit-name', 'seccomp: null\nrlimits:\n  files: 10\n', 3, /rlimits/],
  ['relative-mask', 'seccomp: null\nmaskedPaths: [proc/kcore]\n', 2, /absolute path/],
  ['wrong-type', 'seccomp: null\nnoNewPrivileges: "yes"\n', 2, /noNewPrivileges/],
  ['not-a-mapping', '- just\n- a list\n', 1, /mapping/],
  ['bad-yaml', 'seccomp: null\ncapabilities: [a, b\n', 3, /invalid YAML/],
  ['duplicate-key', 'seccomp: null\nnetwork: none\nnetwork: host\n', 3, /invalid YAML/],
  ['no-seccomp', 'capabilities: []\n', 1, /seccomp: required/],
  ['extends-missing', 'extends: nosuch\n', 1, /no built-in profile or file `nosuch`/],
  ['loosen-final', `extends: strict\n${S}    - {action: allow, syscalls: [unshare]}\n`, 4, /final in profiles\/(strict|base\/always)\.yaml:\d+/],
  ['loosen-final-clone3', `extends: strict\n${S}    - {action: allow, syscalls: clone3}\n`, 4, /clone3.*final/],
  ['turn-off-final', 'extends: strict\nseccomp: null\n', 2, /cannot turn off the filter/],
];

t.test('each malformed profile: one-line error with file:line and field', async (t) => {
  t.ok(CASES.length >= 30);
  for (const [name, text, line, re] of CASES) {
    const f = join(dir, `${name}.yaml`);
    writeFileSync(f, text);
    let err: unknown;
    try { loadProfile(f); } catch (e) { err = e; }
    t.ok(err instanceof SandboxError, `${name}: SandboxError`);
    const e = err as SandboxError;
    t.equal(e.exitCode, 2, `${name}: exit 2`);
    t.notMatch(e.message, /\n/, `${name}: one line`);
    t.match(e.message, new RegExp(`${name}\\.yaml:${line}\``), `${name}: names line ${line} — ${e.message}`);
    t.match(e.message, re, `${name}: ${e.message}`);
  }
});

t.test('cycles in extends name the chain', async (t) => {
  writeFileSync(join(dir, 'a.yaml'), 'extends: ./b.yaml\n');
  writeFileSync(join(dir, 'b.yaml'), 'extends: ./a.yaml\n');
  t.throws(() => loadProfile(join(dir, 'a.yaml')), /b\.yaml:1`: extends: cycle/);
});

t.test('oversize profiles are refused', async (t) => {
  writeFileSync(join(dir, 'big.yaml'), `seccomp: null\ndescription: "${'x'.repeat(2 << 20)}"\n`);
  t.throws(() => loadProfile(join(dir, 'big.yaml')), /larger than/);
});

t.test('the CLI prints the one line and exits 2', async (t) => {
  const r = spawnSync(process.execPath, [CLI, 'policy', 'check', join(dir, 'unknown-syscall.yaml')], { encoding: 'utf8' });
  t.equal(r.status, 2);
  t.match(r.stderr, /^tssandbox: load profile `[^`]*unknown-syscall\.yaml:3`: seccomp\.rules\[0\]\.syscalls\[0\]: unknown syscall `opne`\n$/);
});

t.test('fuzz: random YAML/JSON never crashes the loader (seed 42, 3 s budget)', async (t) => {
  const r = rng(42);
  const atoms = ['seccomp', 'rules', 'action', 'allow', 'syscalls', 'args', 'extends', 'strict', '[', ']', '{', '}', ':', ',', '-', '\n', '  ', '"', "'", '&a', '*a', '!!binary', '0x', '1e999', 'null', 'read', 'socket', 'domain', 'AF_UNIX', '@x', '#', '|', '>', '\t', 'capabilities', 'limits', 'memory'];
  const deadline = Date.now() + 3000;
  let n = 0; let crashes = 0;
  while (Date.now() < deadline) {
    let text = '';
    const len = 1 + Math.floor(r() * 60);
    for (let i = 0; i < len; i++) text += atoms[Math.floor(r() * atoms.length)];
    const f = join(dir, 'fuzz.yaml');
    writeFileSync(f, text);
    try { loadProfile(f); } catch (e) {
      if (!(e instanceof SandboxError) || /\n/.test(e.message)) { if (crashes++ < 3) t.fail(`crash on ${JSON.stringify(text)}: ${(e as Error).stack}`); }
    }
    n++;
  }
  t.equal(crashes, 0, `${n} random profiles`);
});
