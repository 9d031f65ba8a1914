// test/lifecycle/exec-tty-user.test.ts — exec -t through a terminal the test owns, exec -u NAME[:GROUP] from the container's own files, symlinks never followed out (tests, root)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { BUSYBOX, busyboxMissing } from '../helpers/busybox-rootfs.js';
import { tarOf, type Member } from '../helpers/image-archives.js';
import { readContainerFile } from '../../sandbox/exec-user.js';
import { BUILD, CLI, REPO_ROOT } from '../helpers/paths.js';
import { rootMissing, Sandbox } from '../helpers/sandbox.js';

const PTY = join(REPO_ROOT, 'test', 'helpers', 'pty-run.py');
const TIOCSTI = join(BUILD, 'fixtures', 'tiocsti');
const skip = rootMissing() || busyboxMissing() || (existsSync(TIOCSTI) ? false : `${TIOCSTI} not built (npm run build)`);
const applets: Member[] = ['sleep', 'grep', 'tty'].map((a) => ({ name: `./bin/${a}`, type: 'symlink', linkname: 'busybox' }));
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

t.test('exec -t and exec -u NAME', { skip }, async (t) => {
  const sb = new Sandbox('lc-exectty');
  // a host file a hostile image points its /etc/passwd at: the runtime must never read it
  const host = mkdtempSync(join(tmpdir(), 'tss-test-hostpw-'));
  writeFileSync(join(host, 'passwd'), 'hostonly:x:4242:4242::/:/bin/sh\n');
  t.teardown(() => { for (const n of ['web', 'evil']) sb.cli(['rm', '-f', n]); sb.cleanup(); rmSync(host, { recursive: true, force: true }); });
  await sb.importBusybox('busybox', [
    ...applets,
    { name: './etc/passwd', data: 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n' },
    { name: './etc/group', data: 'root:x:0:\napp:x:1000:\nstaff:x:50:app\nwheel:x:10:root,app\n' },
  ]);
  const run = sb.cli(['run', '-d', '--name', 'web', '-v', `${TIOCSTI}:/tiocsti:ro`, 'busybox', 'sleep', '1000']);
  t.equal(run.code, 0, run.stderr);

  t.test('-u by name: ids and supplementary groups from the container\'s /etc/passwd and /etc/group', async (t) => {
    const byName = sb.cli(['exec', '-u', 'app', 'web', 'sh', '-c', 'id -u; id -g; id -G; echo $HOME']);
    t.equal(byName.code, 0, byName.stderr);
    const [uid, gid, groups, home] = byName.stdout.trim().split('\n');
    t.equal(home, '/home/app', 'HOME is the user\'s');
    t.equal(uid, '1000');
    t.equal(gid, '1000', 'the primary group is the passwd entry\'s');
    t.same(groups!.split(' ').sort(), ['10', '1000', '50'], 'member groups are supplementary');
    t.equal(sb.cli(['exec', '-u', 'app:staff', 'web', 'id', '-g']).stdout, '50\n', 'a group name');
    t.equal(sb.cli(['exec', '-u', 'app:7', 'web', 'id', '-g']).stdout, '7\n', 'a numeric group');
    t.equal(sb.cli(['exec', '-u', '1000', 'web', 'id', '-u']).stdout, '1000\n', 'numbers still work');
    const none = sb.cli(['exec', '-u', 'nobody', 'web', 'true']);
    t.equal(none.code, 125);
    t.match(none.stderr, /exec `-u nobody`: no user nobody in the container's \/etc\/passwd/);
    const nog = sb.cli(['exec', '-u', 'app:nogroup', 'web', 'true']);
    t.equal(nog.code, 125);
    t.match(nog.stderr, /no group nogroup in the container's \/etc\/group/);
  });

  t.test('-u never follows the container\'s symlinks out of its root', async (t) => {
    // a root of its own (busyboxRootfs brings a plain /etc/passwd)
    const mini = (etc: Member[]) => tarOf([
      { name: './', type: 'directory' }, { name: './bin/', type: 'directory' },
      { name: './bin/busybox', data: readFileSync(BUSYBOX), mode: 0o755 },
      ...['sh', 'sleep', 'true'].map((a): Member => ({ name: `./bin/${a}`, type: 'symlink', linkname: 'busybox' })),
      ...etc,
    ]);
    sb.importTar(await mini([{ name: './etc/', type: 'directory' }, { name: './etc/passwd', type: 'symlink', linkname: join(host, 'passwd') }]), 'evil');
    t.equal(sb.cli(['run', '-d', '--name', 'evil', 'evil', 'sleep', '1000']).code, 0);
    const r = sb.cli(['exec', '-u', 'hostonly', 'evil', 'true']);
    t.equal(r.code, 125, 'a symlinked /etc/passwd is not read');
    t.match(r.stderr, /no user hostonly/);
    // /etc itself a symlink out: the runtime refuses to start such a root (it writes /etc/hostname
    // inside it), so the layer reader is asked directly, on layers laid out by hand
    const lay = mkdtempSync(join(tmpdir(), 'tss-test-layers-'));
    try {
      mkdirSync(join(lay, 'low', 'etc'), { recursive: true });
      writeFileSync(join(lay, 'low', 'etc', 'passwd'), 'low:x:5:5::/:/bin/sh\n');
      mkdirSync(join(lay, 'up'));
      symlinkSync(host, join(lay, 'up', 'etc'));
      t.equal(readContainerFile([join(lay, 'low'), join(lay, 'up')], '/etc/passwd'), undefined, 'an upper /etc symlinked out hides the lower copy and is not followed');
      t.equal(readContainerFile([join(lay, 'low')], '/etc/passwd'), 'low:x:5:5::/:/bin/sh\n', 'a plain copy is read');
    } finally { rmSync(lay, { recursive: true, force: true }); }
    t.equal(sb.cli(['rm', '-f', 'evil']).code, 0);
  });

  const onPty = (script: string, input = '', timeout = 30) => execFileSync('python3', [PTY, String(timeout), Buffer.from(input).toString('hex'), 'sh', '-c', script], {
    env: sb.env(), encoding: 'utf8', timeout: (timeout + 10) * 1000,
  });
  const exec = `${q(process.execPath)} ${q(CLI)} exec`;

  t.test('-it: an interactive shell on a pty of the container\'s own devpts', async (t) => {
    const out = onPty(`${exec} -it web sh; echo "status=$?"`, 'tty; echo "sum=$((40+2))"; grep -E "^(Seccomp|NoNewPrivs|CapEff):" /proc/self/status; exit 3\n');
    t.match(out, /\/dev\/pts\/\d+/, 'the exec\'d shell\'s terminal is a pts');
    t.match(out, /sum=42/, 'typed input reaches the shell and its output comes back');
    t.match(out, /Seccomp:\s+2/, 'under the container\'s filter');
    t.match(out, /NoNewPrivs:\s+1/);
    t.match(out, /CapEff:\s+0+\r?\n/);
    t.match(out, /status=3/, 'the exit status comes through');
  });

  t.test('-t: TIOCSTI from exec injects nothing into the caller\'s terminal', async (t) => {
    const out = onPty(`${exec} -t web /tiocsti; line=; read -t 2 line; echo "CALLER-READ:[$line]"`);
    t.match(out, /tiocsti: 0 of 14 bytes pushed, error Operation not permitted/, 'the container\'s filter denies TIOCSTI');
    t.match(out, /CALLER-READ:\[\]/, 'the caller\'s shell read nothing');
    t.notMatch(out, /^INJECTED/m);
  });

  t.test('-t without a terminal on the caller still works', async (t) => {
    const r = sb.cli(['exec', '-t', 'web', 'tty']);
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, /^\/dev\/pts\/\d+\r?\n$/);
  });

  t.test('cleanup', async (t) => {
    t.equal(sb.cli(['rm', '-f', 'web']).code, 0);
    t.same(sb.leftovers(), []);
  });
});
