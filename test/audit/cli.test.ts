// test/audit/cli.test.ts — tssandbox audit verify|summary|show|follow through the CLI, by file and by container (spawns the CLI)
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditWriter, writeAnchor } from '../../audit/index.js';
import { CLI } from '../helpers/paths.js';
import { CID, KEY, readLines, syscallEvent, tempDir, writeLines, writeLog } from './fixtures.js';

const cli = (root: string, ...args: string[]) => spawnSync(process.execPath, [CLI, '--root', root, 'audit', ...args], { encoding: 'utf8' });

/** a container record under ROOT with its log and anchor, as the supervisor leaves them */
function container(root: string): string {
  const dir = join(root, 'containers', CID);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ id: CID, name: 'web', created: new Date().toISOString() }));
  const { head } = writeLog(dir, 12);
  writeAnchor(join(dir, 'audit.anchor.json'), { ...head, id: CID });
  return join(dir, 'audit.ndjson');
}

t.test('verify: exit 0 when intact, 1 naming the line when tampered, 2 when unreadable', async (t) => {
  const root = tempDir(t);
  const { path } = writeLog(root, 12, { key: KEY });
  writeFileSync(join(root, 'key'), KEY);
  let r = cli(root, 'verify', path, '--key', join(root, 'key'));
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /intact: 17 lines.*HMAC checked/);
  writeLines(path, readLines(path).filter((_, i) => i !== 4));
  r = cli(root, 'verify', path);
  t.equal(r.status, 1);
  t.match(r.stdout, /TAMPERED at line 5: .*removed/);
  r = cli(root, 'verify', path, '--format', 'json');
  t.equal(r.status, 1);
  t.match(JSON.parse(r.stdout), { ok: false, seq: 5 });
  r = cli(root, 'verify', join(root, 'nope.ndjson'));
  t.equal(r.status, 125, 'an unknown target is a usage failure');
  t.match(r.stderr, /no such container or log file/);
  writeFileSync(join(root, 'short'), 'x');
  r = cli(root, 'verify', path, '--key', join(root, 'short'));
  t.equal(r.status, 2);
  t.match(r.stderr, /^tssandbox: read audit key `.*short`: the key is shorter/);
});

t.test('by container name or id prefix, with the anchor beside the log', async (t) => {
  const root = tempDir(t);
  const path = container(root);
  for (const ref of ['web', CID.slice(0, 8), CID]) {
    const r = cli(root, 'verify', ref);
    t.equal(r.status, 0, `${ref}: ${r.stderr}`);
    t.match(r.stdout, /anchor checked/);
  }
  t.equal(cli(root, 'verify').status, 0, 'no target: the latest container');
  writeLines(path, readLines(path).slice(0, 14));
  const r = cli(root, 'verify', 'web');
  t.equal(r.status, 1);
  t.match(r.stdout, /TAMPERED at line 15: .*cut off the end/);
  t.equal(cli(root, 'verify', 'web', '--no-anchor').status, 0, 'without the anchor the cut goes unnoticed');
});

t.test('summary and show', async (t) => {
  const root = tempDir(t);
  container(root);
  let r = cli(root, 'summary', 'web');
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /container c0ffee0+ \(web\)/);
  t.match(r.stdout, /17 lines/);
  t.match(r.stdout, /syscalls:\n\s+10\s+openat\n\s+2\s+connect/);
  t.match(r.stdout, /top denied:\n.*openat \/etc\/f3\s+\(rule profiles\/strict.yaml:13\)/);
  t.match(r.stdout, /exited: code=0/);
  r = cli(root, 'summary', 'web', '--format', 'json');
  const s = JSON.parse(r.stdout);
  t.same(s.byDecision, { observe: 9, deny: 3 });
  t.same(s.processes.map((p: { pid: number }) => p.pid), [1000, 1001, 1002]);

  r = cli(root, 'show', 'web', '--decision', 'deny', '--format', 'json');
  t.equal(r.status, 0, r.stderr);
  const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.same(rows.map((e) => e.seq), [8, 12, 16]);
  r = cli(root, 'show', 'web', '--syscall', 'connect');
  t.match(r.stdout, /^TIME\s+SEQ\s+EVENT/);
  t.equal(r.stdout.trim().split('\n').length, 3, 'header + 2 connect lines');
  r = cli(root, 'show', 'web', '--event', 'exited,created', '--format', 'json');
  t.same(r.stdout.trim().split('\n').map((l) => JSON.parse(l).event), ['created', 'exited']);
  r = cli(root, 'show', 'web', '--since', '2030-01-01T00:00:00Z', '--format', 'json');
  t.equal(r.stdout, '', 'nothing after --since');
  r = cli(root, 'show', 'web', '--container', 'other', '--format', 'json');
  t.equal(r.stdout, '');
  r = cli(root, 'show', 'web', '--since', 'yesterday-ish');
  t.equal(r.status, 125);
  t.match(r.stderr, /use --since `yesterday-ish`/);
});

t.test('follow prints lines appended after it started', async (t) => {
  const root = tempDir(t);
  const path = join(root, 'audit.ndjson');
  const w = AuditWriter.open(path, { container: { id: CID } });
  t.teardown(() => w.close());
  w.append(syscallEvent(1));
  const child = spawn(process.execPath, [CLI, '--root', root, 'audit', 'follow', path, '--format', 'json', '--max-lines', '3', '--timeout', '60'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => { err += d; });
  let wake = (): void => {};
  child.stdout.on('data', (d: Buffer) => { out += d; wake(); });
  const seen = (n: number) => new Promise<void>((resolve) => {
    wake = () => { if (out.split('\n').length > n) resolve(); };
    wake();
  });
  await seen(1);
  w.append(syscallEvent(2));
  await seen(2);
  // a half-written line is not printed until its newline arrives
  appendFileSync(path, '{"v":1,"partial":');
  w.append(syscallEvent(3));
  w.append(syscallEvent(4));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  t.equal(code, 0);
  const lines = out.trim().split('\n');
  t.equal(lines.length, 3);
  t.same(lines.map((l) => JSON.parse(l).seq), [1, 2, 4], 'the cut-off bytes and line 3 made one malformed line, skipped');
  t.match(err, /malformed line skipped/);
});
