// test/supervisor/audit-key.test.ts — run --audit-key: a keyed log end to end; the key never lands in state, spec, inspect or argv; an open key file is refused; a full rewrite fails verify --key (tests, root)
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { genesisHash, lineHash } from '../../audit/index.js';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import type { Member } from '../helpers/image-archives.js';
import { rootMissing, Sandbox } from '../helpers/sandbox.js';

const notifMissing = (): string | false => {
  try { return readFileSync('/proc/sys/kernel/seccomp/actions_avail', 'utf8').includes('user_notif') ? false : 'no seccomp user notification in this kernel'; } catch { return 'no /proc/sys/kernel/seccomp/actions_avail'; }
};
const skip = rootMissing() || busyboxMissing() || notifMissing();
const applets: Member[] = ['sleep', 'cat'].map((a) => ({ name: `./bin/${a}`, type: 'symlink', linkname: 'busybox' }));

/** every file under dir whose bytes contain needle */
function filesContaining(dir: string, needle: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && statSync(p).size < 64 << 20 && readFileSync(p).includes(needle)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** every process whose argv or environment holds needle */
function processesWith(needle: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    for (const f of ['cmdline', 'environ']) {
      try { if (readFileSync(`/proc/${pid}/${f}`).includes(needle)) out.push(`${pid}/${f}`); } catch { /* gone, or not ours to read */ }
    }
  }
  return out;
}

/** rewrite: what a root attacker without the key can do — new lines, chain and anchor recomputed, hmac dropped */
function rewrite(log: string, anchor: string, id: string, edit: (o: Record<string, unknown>) => void): void {
  let prev = genesisHash(id);
  const out: string[] = [];
  for (const l of readFileSync(log, 'utf8').split('\n').filter(Boolean)) {
    const o = JSON.parse(l) as Record<string, unknown>;
    delete o.hmac;
    o.prev = prev;
    edit(o);
    const text = JSON.stringify(o);
    out.push(text);
    prev = lineHash(Buffer.from(text));
  }
  writeFileSync(log, out.map((l) => `${l}\n`).join(''));
  writeFileSync(anchor, `${JSON.stringify({ seq: out.length, hash: prev, id })}\n`);
}

t.test('run -d --audit-key: every line keyed, verify --key passes, a rewrite without the key fails, the key is nowhere else', { skip }, async (t) => {
  const sb = new Sandbox('audit-key');
  t.teardown(() => { sb.cli(['rm', '-f', 'k']); sb.cleanup(); });
  await sb.importBusybox('busybox', applets);
  const secret = `tss-test-key-${randomBytes(16).toString('hex')}`;
  const key = sb.path('audit.key');
  writeFileSync(key, `${secret}\n`, { mode: 0o644 });

  const open = sb.cli(['run', '-d', '--name', 'k', '--audit-key', key, 'busybox', 'sleep', '1000']);
  t.equal(open.code, 125, 'a key file readable by others is refused');
  t.equal(open.stderr, `tssandbox: run \`--audit-key ${key}\`: the key file is open to group or others (mode 0644): whoever reads it can forge the log; chmod 600 it\n`);
  t.same(sb.leftovers(), [], 'nothing was left behind');
  t.same(existsSync(sb.path('root', 'containers')) ? readdirSync(sb.path('root', 'containers')) : [], [], 'no container record');

  chmodSync(key, 0o600);
  const run = sb.cli(['run', '-d', '--name', 'k', '--audit-key', key, 'busybox', 'sleep', '1000']);
  t.equal(run.code, 0, run.stderr);
  const id = run.stdout.trim();
  t.equal(sb.cli(['exec', 'k', 'cat', '/etc/hostname']).code, 0);
  const inspect = sb.cli(['inspect', 'k']);
  const ins = (JSON.parse(inspect.stdout) as { State: { SupervisorPid: number }; AuditLog: { Path: string; Keyed: boolean } }[])[0]!;
  t.same(ins.AuditLog, { Path: sb.path('root', 'containers', id, 'audit.ndjson'), Keyed: true }, 'inspect says where the log is and that it is keyed');
  t.notOk(inspect.stdout.includes(secret), 'inspect does not show the key');
  t.notOk(inspect.stdout.includes(key), 'nor the key file');
  t.same(filesContaining(sb.path('root'), secret), [], 'no file of the container\'s record or the store holds the key');
  t.same(filesContaining(sb.path('run'), secret), [], 'no file of its runtime state (handoff, session, exec.json) holds the key');
  t.same(processesWith(secret), [], 'no process has the key in its argv or environment');
  const fds = readdirSync(`/proc/${ins.State.SupervisorPid}/fd`).map((f) => { try { return readlinkSync(`/proc/${ins.State.SupervisorPid}/fd/${f}`); } catch { return ''; } });
  t.notOk(fds.includes(key), 'the supervisor closed the key file once it read the key');

  t.equal(sb.cli(['stop', '-t', '1', 'k']).code, 0);
  const log = sb.path('root', 'containers', id, 'audit.ndjson');
  const anchor = sb.path('root', 'containers', id, 'audit.anchor.json');
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  t.ok(lines.length > 5);
  t.ok(lines.every((l) => /,"hmac":"[0-9a-f]{64}"\}$/.test(l)), 'every line carries an hmac, last');
  t.ok(lines.some((l) => l.includes('"exec.started"')), 'the exec\'s lines are keyed too');
  let v = sb.cli(['audit', 'verify', 'k', '--key', key]);
  t.equal(v.code, 0, v.stdout + v.stderr);
  t.match(v.stdout, /intact: .*HMAC checked; anchor checked/);
  t.equal(v.stderr, '', 'no warning for a private key file');

  const original = readFileSync(log);
  // a full rewrite (an edited argv, the chain and the anchor recomputed): the chain cannot tell, the key can
  rewrite(log, anchor, id, (o) => { const p = o.proc as { argv?: string[] } | undefined; if (p?.argv?.[0] === 'cat') p.argv = ['true']; });
  v = sb.cli(['audit', 'verify', 'k']);
  t.equal(v.code, 0, 'without the key the rewrite verifies (the chain is public arithmetic)');
  v = sb.cli(['audit', 'verify', 'k', '--key', key]);
  t.equal(v.code, 1, 'with the key it does not');
  t.match(v.stdout, /TAMPERED at line 1: the line has no hmac, but a key was given/);
  // the same rewrite keeping the old hmac fields: the first edited line is named
  writeFileSync(log, original);
  const kept = original.toString().split('\n').filter(Boolean);
  const edited = kept.findIndex((l) => l.includes('["cat","/etc/hostname"]'));
  t.ok(edited > 0, 'the exec\'s execve is in the log');
  kept[edited] = kept[edited]!.replace('["cat","/etc/hostname"]', '["cat","/etc/passwd"]');
  writeFileSync(log, kept.map((l) => `${l}\n`).join(''));
  v = sb.cli(['audit', 'verify', 'k', '--key', key]);
  t.equal(v.code, 1);
  t.match(v.stdout, new RegExp(`TAMPERED at line ${edited + 1}: the HMAC does not match`));

  t.equal(sb.cli(['rm', 'k']).code, 0);
  t.same(sb.leftovers(), []);
});

t.test('foreground run --audit-key: a keyed log; verify warns of a key file others can read', { skip }, async (t) => {
  const sb = new Sandbox('audit-key-fg');
  t.teardown(() => sb.cleanup());
  await sb.importBusybox('busybox', applets);
  const key = sb.path('k');
  writeFileSync(key, randomBytes(32), { mode: 0o400 });
  const r = sb.cli(['run', '--name', 'f', '--audit-key', key, 'busybox', 'cat', '/etc/hostname']);
  t.equal(r.code, 0, r.stderr);
  let v = sb.cli(['audit', 'verify', 'f', '--key', key]);
  t.equal(v.code, 0, v.stdout + v.stderr);
  t.match(v.stdout, /HMAC checked/);
  const other = sb.path('other');
  writeFileSync(other, randomBytes(32), { mode: 0o600 });
  v = sb.cli(['audit', 'verify', 'f', '--key', other]);
  t.equal(v.code, 1, 'another key does not verify');
  chmodSync(key, 0o644);
  v = sb.cli(['audit', 'verify', 'f', '--key', key]);
  t.equal(v.code, 0);
  t.match(v.stderr, /warning: audit key `.*`: the key file is open to group or others \(mode 0644\)/);
  const bad = sb.cli(['run', '--rm', '--audit-key', sb.path('none'), 'busybox', 'true']);
  t.equal(bad.code, 125);
  t.equal(bad.stderr, `tssandbox: run \`--audit-key ${sb.path('none')}\`: ENOENT\n`);
  const unaudited = sb.cli(['run', '--rm', '--audit-key', key, 'busybox', 'true'], { env: { TSSANDBOX_SUPERVISOR: 'off' } });
  t.equal(unaudited.code, 125);
  t.match(unaudited.stderr, /run `--audit-key .*`: this run writes no audit log \(TSSANDBOX_SUPERVISOR=off\)/);
  t.equal(sb.cli(['rm', 'f']).code, 0);
  t.same(sb.leftovers(), []);
});
