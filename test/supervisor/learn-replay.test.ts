// test/supervisor/learn-replay.test.ts — record a busybox httpd session under --profile learn, learn a profile from its audit log, run and replay under it (tests, root)
import { readFileSync, readdirSync } from 'node:fs';
import t from 'tap';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import type { Member } from '../helpers/image-archives.js';
import { rootMissing, Sandbox } from '../helpers/sandbox.js';

const notifMissing = (): string | false => {
  try { return readFileSync('/proc/sys/kernel/seccomp/actions_avail', 'utf8').includes('user_notif') ? false : 'no seccomp user notification in this kernel'; } catch { return 'no /proc/sys/kernel/seccomp/actions_avail'; }
};
const skip = rootMissing() || busyboxMissing() || notifMissing();
const applets: Member[] = ['httpd', 'wget', 'ping', 'pidof', 'kill', 'mkdir', 'unshare', 'uname'].map((a) => ({ name: `./bin/${a}`, type: 'symlink', linkname: 'busybox' }));
// the session: serve a page on loopback, fetch it, stop the server
const SESSION = 'mkdir -p /tmp/www && echo hello-from-httpd > /tmp/www/index.html && httpd -p 127.0.0.1:8080 -h /tmp/www && wget -q -O - http://127.0.0.1:8080/index.html; kill $(pidof httpd)';

t.test('learn → run → replay → diff on a real recorded session', { skip }, async (t) => {
  const sb = new Sandbox('learn');
  t.teardown(() => sb.cleanup());
  await sb.importBusybox('bb', applets);

  const rec = sb.cli(['run', '--name', 'rec', '--profile', 'learn', '--tmpfs', '/tmp', 'bb', 'sh', '-c', SESSION]);
  t.equal(rec.code, 0, rec.stderr);
  t.match(rec.stdout, /hello-from-httpd/, 'the session ran under the learn profile');
  const ids = readdirSync(sb.path('root', 'containers'));
  t.equal(ids.length, 1);
  const log = sb.path('root', 'containers', ids[0]!, 'audit.ndjson');

  const profile = sb.path('learned.yaml');
  const l = sb.cli(['policy', 'learn', log, '-o', profile]);
  t.equal(l.code, 0, l.stderr);
  t.match(l.stdout, /learned\.yaml: \d+ syscalls allowed from \d+ events/);
  const text = readFileSync(profile, 'utf8');
  // busybox forks (clone): the floor's final clone rule decides it, and the profile still loads
  t.match(text, /# seen, and decided by the floor's final rules[\s\S]*#   clone ×\d+ {2}\(profiles\/base\/always\.yaml:\d+\)/);
  t.notMatch(text, /^ {8}- clone\b/m, 'clone is not re-allowed by the learned profile');
  t.match(text, /syscalls: socket, args: \{ domain: \[2\]/, 'socket narrowed to the family seen (AF_INET)');
  t.equal(sb.cli(['policy', 'check', profile]).code, 0, 'the written profile passes policy check');

  // the same session under the learned profile: same output, nothing denied
  const again = sb.cli(['run', '--rm', '--profile', profile, '--tmpfs', '/tmp', 'bb', 'sh', '-c', SESSION]);
  t.equal(again.code, 0, again.stderr);
  t.match(again.stdout, /hello-from-httpd/, 'the learned profile runs the session it was learned from');
  const replay = sb.cli(['policy', 'test', profile, '--replay', log]);
  t.equal(replay.code, 0, replay.stdout + replay.stderr);
  t.match(replay.stdout, /\d+ syscall line\(s\) replayed, 0 would be denied/);

  // what the session never did stays out. uname(2) needs no privilege and the session never called
  // it: default lets busybox print the host name, the learned filter answers EPERM (an empty line).
  // Ping (a raw socket without NET_RAW) and unshare (the floor) would fail even without the
  // learned rules; they are kept as the user-visible face of it.
  const probe = ['bb', 'sh', '-c', 'uname -n; ping -c 1 127.0.0.1; echo ping=$?; unshare -U true; echo unshare=$?'];
  const control = sb.cli(['run', '--rm', '--hostname', 'learn-probe', '--profile', 'default', ...probe]);
  t.match(control.stdout, /^learn-probe$/m, 'control: uname works under default');
  const other = sb.cli(['run', '--rm', '--hostname', 'learn-probe', '--profile', profile, ...probe]);
  t.notMatch(other.stdout, /learn-probe/, 'uname, never called in the session, is refused by the learned profile');
  t.match(other.stdout, /ping=1/, 'ping\'s raw socket is refused');
  t.match(other.stdout, /unshare=1/, 'unshare is refused');

  // policy diff names what the learned profile decides differently from strict
  const diff = sb.cli(['policy', 'diff', 'strict', profile]);
  t.equal(diff.code, 1, 'the learned profile decides some syscalls differently from strict');
  t.same(sb.leftovers(), [], 'nothing left behind');
});
