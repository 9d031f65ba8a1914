// test/policy/cli.test.ts — the policy CLI: test (exit 1 on a mismatch), diff, check lints, import/export files (tests, temp dir, spawns the CLI)
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, REPO_ROOT } from '../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'tss-policy-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, 'policy', ...args], { encoding: 'utf8', cwd: REPO_ROOT });
const CASES = join(REPO_ROOT, 'test/fixtures/policy/strict-cases.yaml');

t.test('policy test passes on matching cases and exits 1 on a mismatch', async (t) => {
  const ok = cli('test', 'strict', CASES);
  t.equal(ok.status, 0, ok.stderr); t.match(ok.stdout, /7 passed, 0 failed/);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, '- { syscall: read, expect: allow }\n- { syscall: unshare, expect: allow }\n');
  const r = cli('test', 'strict', bad);
  t.equal(r.status, 1); t.match(r.stdout, /FAIL .*bad\.yaml:2 unshare.*expected allow/);
  writeFileSync(bad, '- { syscall: nosuch, expect: allow }\n');
  const m = cli('test', 'strict', bad);
  t.equal(m.status, 2, 'malformed cases: exit 2'); t.match(m.stderr, /bad\.yaml:1.*no syscall `nosuch`/);
});

t.test('policy diff lists what differs and exits 1; same policy exits 0', async (t) => {
  const same = cli('diff', 'default', 'lab');
  t.equal(same.status, 0); t.match(same.stdout, /same decisions/);
  const r = cli('diff', 'strict', 'default');
  t.equal(r.status, 1);
  t.match(r.stdout, /x86_64 ptrace: A errno\(EPERM\) \(profiles\/strict\.yaml:\d+\) · B allow/);
  t.match(r.stdout, /x86_64 socket\(.*\): A .* · B /);
});

t.test('policy check lints risky allowances', async (t) => {
  const r = cli('check', 'default');
  t.equal(r.status, 0); t.match(r.stdout, /allows ptrace/); t.notMatch(r.stdout, /io_uring|TIOCSTI|unshare/);
  const f = join(dir, 'loose.yaml');
  writeFileSync(f, 'seccomp:\n  defaultAction: allow\n  arches: [x86_64, i386]\n  rules:\n    - {action: allow, syscalls: [io_uring_setup, unshare]}\n');
  const l = cli('check', f);
  t.equal(l.status, 0);
  for (const re of [/loose\.yaml:5: allows io_uring_setup/, /allows unshare/, /allows clone\(CLONE_NEWUSER\)/, /allows ioctl\(TIOCSTI\)/, /default action allows/, /i386 ABI/]) t.match(l.stdout, re);
});

t.test('policy import writes a profile that loads; export writes JSON that imports back', async (t) => {
  const out = join(dir, 'docker.yaml');
  const r = cli('import', join(REPO_ROOT, 'test/fixtures/seccomp/docker-default-seccomp.json'), '-o', out);
  t.equal(r.status, 0, r.stderr); t.match(r.stderr, /foreign ABIs/);
  t.equal(cli('check', out).status, 0);
  const j = join(dir, 'strict.json');
  t.equal(cli('export', 'strict', '--format', 'oci', '--arch', 'x86_64', '-o', j).status, 0);
  t.equal(JSON.parse(readFileSync(j, 'utf8')).defaultAction, 'SCMP_ACT_ERRNO');
  const d = cli('diff', 'strict', j, '--arch', 'x86_64');
  t.equal(d.status, 0, d.stdout); t.match(d.stdout, /same decisions/);
});
