// test/lifecycle/exec.test.ts — exec joins a running container with exactly its restrictions (tests, root)
import t from 'tap';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import type { Member } from '../helpers/image-archives.js';
import { rootMissing, Sandbox } from '../helpers/sandbox.js';

const skip = rootMissing() || busyboxMissing();
const applets: Member[] = ['sleep', 'ps', 'grep', 'unshare', 'cat', 'pwd'].map((a) => ({ name: `./bin/${a}`, type: 'symlink', linkname: 'busybox' }));

t.test('exec into a detached strict container', { skip }, async (t) => {
  const sb = new Sandbox('lc-exec');
  t.teardown(() => { sb.cli(['rm', '-f', 'web']); sb.cleanup(); });
  await sb.importBusybox('busybox', applets);
  const run = sb.cli(['run', '-d', '--name', 'web', 'busybox', 'sleep', '1000']);
  t.equal(run.code, 0, run.stderr);

  const ps = sb.cli(['exec', 'web', 'ps', '-o', 'pid,comm']);
  t.equal(ps.code, 0, ps.stderr);
  t.same(ps.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/)[1]).sort(), ['ps', 'sleep'], 'ps sees only the container\'s processes');

  // the exec'd process and the container's pid 1 carry the same restrictions, read side by side
  const fields = 'grep -E "^(Seccomp|Seccomp_filters|NoNewPrivs|CapEff|CapBnd|CapPrm|Uid):"';
  const same = sb.cli(['exec', 'web', 'sh', '-c', `${fields} /proc/self/status; echo --; ${fields} /proc/1/status; echo --; cat /proc/self/cgroup; echo --; cat /proc/1/cgroup`]);
  t.equal(same.code, 0, same.stderr);
  const [self, one, cgSelf, cgOne] = same.stdout.split('--\n');
  t.equal(self, one, 'same seccomp mode and filter count, no_new_privs, capabilities and uid as pid 1');
  t.match(self, /Seccomp:\s+2/);
  t.match(self, /CapEff:\s+0+\n/);
  t.equal(cgSelf, cgOne, 'the same cgroups as pid 1');

  const denied = sb.cli(['exec', 'web', 'unshare', '-U', 'true']);
  t.not(denied.code, 0, 'a syscall the policy denies is denied in exec too');
  t.match(denied.stderr, /Operation not permitted/);

  const opts = sb.cli(['exec', '-u', '1000:1001', '-w', '/tmp', '-e', 'FOO=bar', 'web', 'sh', '-c', 'id -u; id -g; pwd; echo $FOO']);
  t.equal(opts.stdout, '1000\n1001\n/tmp\nbar\n', '-u, -w and -e apply');
  t.equal(sb.cli(['exec', '-i', 'web', 'cat'], { input: 'through stdin\n' }).stdout, 'through stdin\n', '-i copies stdin');
  t.equal(sb.cli(['exec', 'web', 'sh', '-c', 'exit 7']).code, 7, 'the command\'s exit code');
  t.equal(sb.cli(['exec', 'web', 'no-such-command']).code, 127);

  const insp = (JSON.parse(sb.cli(['inspect', 'web']).stdout) as { State: { Pid: number } }[])[0]!;
  t.equal(sb.cli(['exec', 'web', 'true']).code, 0);
  t.equal((JSON.parse(sb.cli(['inspect', 'web']).stdout) as { State: { Pid: number } }[])[0]!.State.Pid, insp.State.Pid, 'the container is untouched');

  t.equal(sb.cli(['stop', '-t', '1', 'web']).code, 0);
  const late = sb.cli(['exec', 'web', 'true']);
  t.equal(late.code, 125);
  t.match(late.stderr, /exec `web`: the container is not running/);
  t.equal(sb.cli(['rm', 'web']).code, 0);
  t.same(sb.leftovers(), []);
});
