// test/oci/audit.test.ts — an OCI container under strict (by annotation) is supervised: execve argv and the denied unshare in its audit log, `audit show|verify` find it by id under --root, delete keeps it; killing the supervisor kills the container (tests, root)
import t from 'tap';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import { CLI } from '../helpers/paths.js';
import { OciEnv, rootMissing } from './bundle.js';
import { gone } from '../helpers/pids.js';

const notifMissing = (): string | false => {
  try { return readFileSync('/proc/sys/kernel/seccomp/actions_avail', 'utf8').includes('user_notif') ? false : 'no seccomp user notification in this kernel'; } catch { return 'no /proc/sys/kernel/seccomp/actions_avail'; }
};
const skip = rootMissing() || busyboxMissing() || notifMissing();

interface Line { event: string; seq: number; container?: { id: string }; proc?: { argv?: string[] }; syscall?: { name: string; errno?: string }; decision?: { action: string; rule?: string } }


if (skip) t.plan(0, skip);
else {
  const env = new OciEnv('audit');
  t.teardown(() => env.cleanup());
  // `audit` is a docker-mode verb: the same binary, the OCI state root as --root (what runc's callers pass)
  const audit = (args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, '--root', env.state, 'audit', ...args], { env: env.env(), encoding: 'utf8', timeout: 60_000 });
    return { code: r.status ?? 137, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const CMD = 'cat /etc/hostname; unshare -U true; echo "unshare=$?"; ls /';

  t.test('strict by annotation: execve lines with argv, lifecycle events, show/summary/verify by id under --root, delete keeps the log', async (t) => {
    const b = await env.bundle('strict', (c) => {
      c.annotations = { 'org.tssandbox.profile': 'strict' };
      c.process.args = ['sh', '-c', CMD];
    });
    const id = env.newId('aud');
    const out = `${env.dir}/${id}.out`;
    const run = env.create(id, b, out);
    t.equal(await run.created, 0, 'create succeeds');
    t.equal(env.oci(['start', id]).code, 0, 'start');
    t.equal((await run.exited).status, 0, 'the payload exits 0');
    t.match(readFileSync(out, 'utf8'), /unshare=1/, 'unshare fails for the payload (EPERM)');
    const log = `${env.state}/.audit/${id}.ndjson`;
    t.ok(existsSync(log), 'the log is STATE/.audit/<id>.ndjson');
    const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
    const kinds = lines.map((l) => l.event);
    t.same(kinds.slice(0, 2), ['created', 'policy.compiled'], 'created, then policy.compiled');
    t.ok(kinds.includes('started'), 'started');
    t.equal(kinds[kinds.length - 1], 'exited', 'exited last');
    t.ok(lines.every((l) => l.container?.id === id), 'every line names the OCI container id');
    const argvs = lines.filter((l) => l.syscall?.name === 'execve').map((l) => JSON.stringify(l.proc?.argv));
    t.ok(argvs.includes(JSON.stringify(['sh', '-c', CMD])), 'the payload\'s execve with its argv');
    t.ok(argvs.includes(JSON.stringify(['cat', '/etc/hostname'])), 'cat\'s execve with its argv');
    t.ok(argvs.includes(JSON.stringify(['unshare', '-U', 'true'])), 'unshare\'s execve with its argv');
    // the node's default profile and strict are ONE filter (oci/merge.ts): both deny unshare, and
    // the denial goes through the supervisor (stacked, the node's ERRNO answered it unseen)
    const un = lines.find((l) => l.syscall?.name === 'unshare');
    t.equal(un?.decision?.action, 'deny', 'the unshare denial is in the log');
    t.match(un?.decision?.rule, /^profiles\/(strict|base\/always|base\/docker-default)\.yaml:\d+$/, 'with its rule file:line');

    const show = audit(['show', id]);
    t.equal(show.code, 0, show.stderr);
    t.match(show.stdout, /execve.*cat \/etc\/hostname/, 'audit show lists the execve with its argv');
    const sum = audit(['summary', id]);
    t.equal(sum.code, 0, sum.stderr);
    t.match(sum.stdout, /execve/);
    const v = audit(['verify', id]);
    t.equal(v.code, 0, v.stdout + v.stderr);
    t.match(v.stdout, /intact: .*anchor checked/, 'verify: intact, against the anchor');
    t.equal(audit(['verify', log]).code, 0, 'verify by path');

    t.equal(env.oci(['delete', id]).code, 0, 'delete');
    t.notOk(existsSync(`${env.state}/${id}`), 'the container\'s state dir is gone');
    t.ok(existsSync(log), 'delete keeps the audit log');
    t.equal(audit(['verify', id]).code, 0, 'audit verify finds it by id after delete');
    t.same(env.leftovers([id]), [], 'no state dir, id slot or cgroup left');

    t.match(audit(['show', 'no-such-ctr']).stderr, /no-such-ctr.*no such container/, 'an unknown id: one line naming it');
  });

  t.test('strict as the node\'s profile: the denied unshare with its rule file:line', async (t) => {
    const cfg = `${env.dir}/oci.json`;
    writeFileSync(cfg, JSON.stringify({ profile: 'strict', allow: ['strict'] }));
    const was = process.env.TSSANDBOX_OCI_CONFIG;
    process.env.TSSANDBOX_OCI_CONFIG = cfg;
    t.teardown(() => { if (was === undefined) delete process.env.TSSANDBOX_OCI_CONFIG; else process.env.TSSANDBOX_OCI_CONFIG = was; });
    const b = await env.bundle('node-strict', (c) => { c.process.args = ['sh', '-c', CMD]; });
    const id = env.newId('audnode');
    const run = env.create(id, b, `${env.dir}/${id}.out`);
    t.equal(await run.created, 0, 'create succeeds');
    t.equal(env.oci(['start', id]).code, 0, 'start');
    t.equal((await run.exited).status, 0, 'the payload exits 0');
    const lines = readFileSync(`${env.state}/.audit/${id}.ndjson`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
    const un = lines.find((l) => l.syscall?.name === 'unshare');
    t.equal(un?.decision?.action, 'deny', 'the unshare is denied by the supervisor');
    t.equal(un?.syscall?.errno, 'EPERM');
    t.match(un?.decision?.rule, /^profiles\/(strict|base\/always)\.yaml:\d+$/, 'naming its rule file:line');
    const show = audit(['show', id]);
    t.equal(show.code, 0, show.stderr);
    t.match(show.stdout, / unshare .*deny.*profiles\/(strict|base\/always)\.yaml:\d+/, 'audit show lists the denied unshare with its rule');
    t.equal(audit(['verify', id]).code, 0, 'verify passes');
    t.equal(env.oci(['delete', id]).code, 0, 'delete');
  });

  t.test('strict by annotation over a node profile that denies what strict allows: that denial is audited with the node profile\'s rule', async (t) => {
    // the node's profile: default plus symlinks refused with EXDEV (strict allows symlinkat)
    const prof = `${env.dir}/node-nosymlink.yaml`;
    writeFileSync(prof, 'extends: default\ndescription: test node profile\nseccomp:\n  rules:\n    - { action: errno(EXDEV), syscalls: [symlink, symlinkat] }\n');
    const cfg = `${env.dir}/oci-nosymlink.json`;
    writeFileSync(cfg, JSON.stringify({ profile: prof, allow: ['strict'] }));
    const was = process.env.TSSANDBOX_OCI_CONFIG;
    process.env.TSSANDBOX_OCI_CONFIG = cfg;
    t.teardown(() => { if (was === undefined) delete process.env.TSSANDBOX_OCI_CONFIG; else process.env.TSSANDBOX_OCI_CONFIG = was; });
    const b = await env.bundle('nosymlink', (c) => {
      c.annotations = { 'org.tssandbox.profile': 'strict' };
      c.process.args = ['sh', '-c', 'ln -s /etc/hostname /tmp/l; echo "ln=$?"'];
    });
    const id = env.newId('audsym');
    const out = `${env.dir}/${id}.out`;
    const run = env.create(id, b, out);
    t.equal(await run.created, 0, 'create succeeds');
    t.equal(env.oci(['start', id]).code, 0, 'start');
    t.equal((await run.exited).status, 0, 'the payload exits 0');
    t.match(readFileSync(out, 'utf8'), /ln=1/, 'ln fails');
    const lines = readFileSync(`${env.state}/.audit/${id}.ndjson`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
    const sym = lines.find((l) => l.syscall?.name === 'symlinkat' || l.syscall?.name === 'symlink');
    t.equal(sym?.decision?.action, 'deny', 'the node profile\'s denial is in the log');
    t.equal(sym?.syscall?.errno, 'EXDEV', 'with the node profile\'s errno');
    t.equal(sym?.decision?.rule, `${prof}:5`, 'and the node profile\'s rule file:line');
    t.equal(audit(['verify', id]).code, 0, 'verify passes');
    t.equal(env.oci(['delete', id]).code, 0, 'delete');
  });

  t.test('a node profile\'s emulate rules under another profile\'s supervisor (strict by annotation): refused, not dropped', async (t) => {
    const prof = `${env.dir}/node-emulate.yaml`;
    writeFileSync(prof, 'extends: strict\ndescription: test node profile\nsupervisor:\n  mode: notify\n  rules:\n    - { action: emulate, syscalls: [open, openat, openat2], denyPaths: [/etc/shadow] }\n');
    const cfg = `${env.dir}/oci-emulate.json`;
    writeFileSync(cfg, JSON.stringify({ profile: prof, allow: ['strict'] }));
    const was = process.env.TSSANDBOX_OCI_CONFIG;
    process.env.TSSANDBOX_OCI_CONFIG = cfg;
    t.teardown(() => { if (was === undefined) delete process.env.TSSANDBOX_OCI_CONFIG; else process.env.TSSANDBOX_OCI_CONFIG = was; });
    const b = await env.bundle('nodeemu', (c) => { c.annotations = { 'org.tssandbox.profile': 'strict' }; c.process.args = ['true']; });
    const id = env.newId('audemu');
    const r = env.oci(['create', '--bundle', b, id]);
    t.not(r.code, 0, 'create fails');
    t.match(r.stderr.trim(), new RegExp(`^[^\\n]*${prof.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:6 emulates opens, but the container is supervised by strict's rules[^\\n]*$`), 'one line naming the rule that would have been dropped');
    t.notOk(existsSync(`${env.state}/.audit/${id}.ndjson`), 'no log made');
    t.equal(env.oci(['state', id]).code === 0, false, 'no container left');
  });

  t.test('a create that fails (a prestart hook says no) leaves no audit log', async (t) => {
    const b = await env.bundle('hookfail', (c) => {
      c.annotations = { 'org.tssandbox.profile': 'strict' };
      c.process.args = ['true'];
      c.hooks = { prestart: [{ path: '/bin/false' }] };
    });
    const id = env.newId('audfail');
    const r = env.oci(['create', '--bundle', b, id]);
    t.not(r.code, 0, 'create fails');
    t.match(r.stderr, /prestart hook/, 'naming the hook');
    const d = `${env.state}/.audit`;
    t.same(existsSync(d) ? readdirSync(d).filter((f) => f.startsWith(`${id}.`)) : [], [], 'neither log nor anchor of it');
    t.same(env.leftovers([id]), [], 'no state dir, id slot or cgroup left');
  });

  t.test('fail closed: the supervisor killed, the container is gone', async (t) => {
    const b = await env.bundle('kill', (c) => {
      c.annotations = { 'org.tssandbox.profile': 'strict' };
      c.process.args = ['sh', '-c', 'while true; do cat /etc/hostname >/dev/null; done'];
    });
    const id = env.newId('audkill');
    const run = env.create(id, b, `${env.dir}/${id}.out`);
    t.equal(await run.created, 0, 'create succeeds');
    t.equal(env.oci(['start', id]).code, 0, 'start');
    const st = JSON.parse(readFileSync(`${env.state}/${id}/state.json`, 'utf8')) as { pid: number; payloadPid: number };
    t.ok(st.payloadPid && existsSync(`/proc/${st.payloadPid}`), 'the payload runs');
    // exec'd processes install strict's supervised filter and hand its listener to this supervisor (oci/exec-run.ts)
    const ex = env.oci(['exec', id, 'sh', '-c', 'echo in-exec; unshare -U true; echo "unshare=$?"']);
    t.equal(ex.code, 0, ex.stderr);
    t.match(ex.stdout, /in-exec\nunshare=1/, 'exec into the audited container runs, under strict (unshare refused)');
    process.kill(st.pid, 'SIGKILL');
    t.equal((await run.exited).status, 137, 'the reaper sees the supervisor killed');
    t.ok(await gone(st.payloadPid), 'the payload died with its supervisor');
    t.equal(env.oci(['delete', '--force', id]).code, 0, 'delete --force cleans up');
    t.same(env.leftovers([id]), [], 'nothing left');
  });
}
