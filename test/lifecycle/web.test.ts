// test/lifecycle/web.test.ts — issue #6's acceptance walk-through: a detached busybox httpd, a file fetched from it inside the container, ps/logs/inspect/stop/rm (tests, root)
import t from 'tap';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import type { Member } from '../helpers/image-archives.js';
import { rootMissing, Sandbox } from '../helpers/sandbox.js';

const skip = rootMissing() || busyboxMissing();
const applets: Member[] = ['httpd', 'wget', 'ps', 'sleep', 'grep'].map((a) => ({ name: `./bin/${a}`, type: 'symlink', linkname: 'busybox' }));

interface PsRow { Names: string; State: string; Status: string; ExitCode?: number }
const psJson = (sb: Sandbox): PsRow[] => sb.cli(['ps', '--format', 'json']).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as PsRow);

t.test('run -d httpd, fetch a file it serves from inside the container', { skip }, async (t) => {
  const sb = new Sandbox('lc-web');
  t.teardown(() => { sb.cli(['rm', '-f', 'web']); sb.cleanup(); });
  const page = `hello from the sandbox ${process.pid}\n`;
  await sb.importBusybox('busybox', [...applets, { name: './www/', type: 'directory' }, { name: './www/index.html', data: page }]);

  const run = sb.cli(['run', '-d', '--name', 'web', 'busybox', 'httpd', '-f', '-v', '-p', '8080', '-h', '/www']);
  t.equal(run.code, 0, run.stderr);
  t.match(psJson(sb).find((r) => r.Names === 'web')?.Status, /^Up /, 'ps shows it Up');

  // httpd binds right after it starts: retry the fetch until it answers (no clock asserted)
  let got = sb.cli(['exec', 'web', 'wget', '-q', '-O-', 'http://127.0.0.1:8080/index.html']);
  for (let i = 0; i < 50 && got.stdout !== page; i++) {
    await new Promise((r) => setTimeout(r, 100));
    got = sb.cli(['exec', 'web', 'wget', '-q', '-O-', 'http://127.0.0.1:8080/index.html']);
  }
  t.equal(got.stdout, page, 'the file comes back over HTTP on the container\'s loopback');
  t.equal(got.code, 0, got.stderr);
  const missing = sb.cli(['exec', 'web', 'wget', '-q', '-O-', 'http://127.0.0.1:8080/nope.html']);
  t.not(missing.code, 0, 'a file it does not have is a 404');

  // -v makes httpd log each request on stderr: the fetch shows up in logs
  let logs = sb.cli(['logs', 'web']);
  for (let i = 0; i < 50 && !/response:200/.test(logs.stderr); i++) { await new Promise((r) => setTimeout(r, 100)); logs = sb.cli(['logs', 'web']); }
  t.match(logs.stderr, /127\.0\.0\.1\]:\d+: response:200/, 'logs shows the request');

  const procs = sb.cli(['exec', 'web', 'ps', '-o', 'comm']);
  t.same(procs.stdout.trim().split('\n').slice(1).sort(), ['httpd', 'ps'], 'exec ps lists only the container\'s processes');

  type Ins = { Profile: { Digest: string }; State: { Running: boolean; Status: string; ExitCode: number | null } };
  const inspect = () => (JSON.parse(sb.cli(['inspect', 'web']).stdout) as Ins[])[0]!;
  t.equal(inspect().State.Running, true);
  t.match(inspect().Profile.Digest, /^[0-9a-f]{64}$/);

  t.equal(sb.cli(['stop', '-t', '1', 'web']).code, 0);
  const after = inspect().State;
  t.equal(after.Status, 'exited', 'stopped, by state');
  t.type(after.ExitCode, 'number');
  t.same(psJson(sb), [], 'ps without -a no longer lists it');
  t.equal(sb.cli(['rm', 'web']).code, 0);
  t.not(sb.cli(['inspect', 'web']).code, 0, 'rm removed it');
  t.same(sb.leftovers(), [], 'no state, cgroup, id range or mount is left');
});
