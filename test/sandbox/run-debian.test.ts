// test/sandbox/run-debian.test.ts — a Debian bookworm minbase from mmdebstrap imports and runs under strict (tests, root)
import t from 'tap';
import { debianMissing, debianRootfs } from '../helpers/debian-rootfs.js';
import { rootMissing, Sandbox } from '../helpers/sandbox.js';

const skip = rootMissing() || debianMissing();
if (skip) t.plan(0, skip);
else {
  const sb = new Sandbox('debian');
  t.teardown(() => sb.cleanup());
  sb.importTar(await debianRootfs(), 'debian:bookworm');

  t.test('python3 and coreutils run under strict', async (t) => {
    const py = sb.cli(['run', '--rm', 'debian:bookworm', 'python3', '-c', 'print(6*7)']);
    t.equal(py.code, 0, py.stderr);
    t.equal(py.stdout, '42\n');
    const r = sb.cli(['run', '--rm', 'debian:bookworm', 'sh', '-c',
      'id; ls -ln / | grep -E " (bin|usr|etc)( -> .*)?$"; grep -E "CapEff|NoNewPrivs|Seccomp:" /proc/self/status; ls /dev; cat /proc/self/cgroup; touch /x']);
    t.match(r.stdout, /^uid=0\(root\) gid=0\(root\) groups=0\(root\)/);
    t.match(r.stdout, /lrwxrwxrwx\s+\d+\s+0\s+0\s+\d+ [^\n]+ bin -> usr\/bin/, 'Debian\'s /bin symlink, owned by 0, resolves inside the root');
    t.match(r.stdout, /drwxr-xr-x\s+\d+\s+0\s+0\s+\d+ [^\n]+ etc/);
    t.match(r.stdout, /CapEff:\s+0{16}\nNoNewPrivs:\s+1\nSeccomp:\s+2/);
    t.match(r.stderr, /touch: cannot touch '\/x': Read-only file system/);
    t.equal(r.code, 1);
  });

  t.test('a user from the image\'s /etc/passwd', async (t) => {
    const r = sb.cli(['run', '--rm', '-u', 'nobody', 'debian:bookworm', 'id']);
    t.match(r.stdout, /^uid=65534\(nobody\) gid=65534\(nogroup\)/);
  });

  t.test('nothing is left behind', async (t) => {
    t.same(sb.leftovers(), []);
  });
}
