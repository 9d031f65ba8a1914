// test/sandbox/verified-fds.test.ts — masks and procfs writes go through fds the launcher verified (DESIGN §2), against a hostile root and a /proc that is not procfs (host; needs root, busybox-static)
//
// runc CVE-2025-31133/-52565/-52881 class: a runtime that binds "the container's /dev/null" over a
// masked path, or writes "/proc/…" by name, does whatever a planted symlink or a fake /proc says.
// The launcher binds its own /dev/null (opened before the image exists, checked 1:3), resolves mask
// targets inside the root, opens procfs files O_NOFOLLOW and checks fstatfs before writing. These
// runs plant the hostile files where no front end would let them be (test/helpers/hostile-root.ts).
import t, { type Test } from 'tap';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allocateIdRange } from '../../sandbox/idrange.js';
import { launch } from '../../sandbox/launcher.js';
import type { SetupOp } from '../../sandbox/plan.js';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import { launchWithFakeProc, makeCgroup, makeImage, mountsMentioning, planFor, processesIn, type Image } from '../helpers/hostile-root.js';
import { rootMissing } from '../helpers/sandbox.js';

const skip = rootMissing() || busyboxMissing();
if (skip) t.plan(0, skip);
else {
  const dir = mkdtempSync('/tmp/tss-vfd-');
  const ids = allocateIdRange(join(dir, 'run'), 'verified-fds', Math.floor(Math.random() * 4096));
  const cg = makeCgroup(`tss-test-vfd-${process.pid}`);
  t.teardown(() => { ids.release(); cg?.remove(); rmSync(dir, { recursive: true, force: true }); });

  // "a host file": what a planted symlink points at; it must never be read, written or mounted over
  const hostFile = join(dir, 'host-file');
  const HOST_TEXT = 'host file: must stay as it is\n';
  writeFileSync(hostFile, HOST_TEXT);
  const hostBefore = statSync(hostFile);
  const hostUntouched = (t: Test) => {
    t.equal(readFileSync(hostFile, 'utf8'), HOST_TEXT, 'the planted host file still holds its text');
    t.equal(statSync(hostFile).mtimeMs, hostBefore.mtimeMs, 'and was not written');
    t.same(mountsMentioning(dir), [], 'nothing the launcher mounted is seen in the host\'s mount namespace');
    if (cg) t.equal(readFileSync(cg.procs, 'utf8'), '', 'no process is left in the cgroup');
  };
  const cgroupProcs = cg ? [cg.procs] : [];
  let n = 0;
  const image = (shape: (layer: string) => void): Image => makeImage(join(dir, `img${n++}`), shape);
  /** the image's /dev/null: a regular file of its own, or a symlink to the host file */
  const plantNull = (kind: 'file' | 'symlink') => (layer: string) => {
    mkdirSync(join(layer, 'dev'));
    mkdirSync(join(layer, 'proc'));
    if (kind === 'file') writeFileSync(join(layer, 'dev', 'null'), 'PLANTED-NULL\n');
    else symlinkSync(hostFile, join(layer, 'dev', 'null'));
    writeFileSync(join(layer, 'secret'), 'SECRET-IN-IMAGE\n', { mode: 0o600 });
    symlinkSync(hostFile, join(layer, 'secret-link'));
  };
  const MASKS: SetupOp[] = ['/proc/version', '/proc/tty', '/secret', '/secret-link'].map((path) => ({ op: 'mask', path }));
  const TREE: SetupOp[] = [{ op: 'mkdir', path: '/proc' }, { op: 'proc', path: '/proc' }, ...MASKS];
  const run = async (img: Image, script: string, setup: SetupOp[] = TREE) => {
    const h = launch(planFor(img, ids, setup, ['/bin/sh', '-c', script], cgroupProcs), 'hostile', {}, ['ignore', 'pipe', 'pipe']);
    let out = '', err = '';
    h.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
    h.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
    try { return { ...(await h.done), out, err }; } catch (e) { return { code: -1, out, err, error: e as Error }; }
  };
  // each masked file: its type and device number, then how many bytes it reads as
  const LOOK = 'for p in /proc/version /secret; do echo "$p $(stat -L -c "%F %t:%T" $p) $(cat $p | wc -c)"; done; '
    + 'echo "tty $(stat -f -c %T /proc/tty) $(stat -c "%F" /proc/tty)"; cat /secret-link || echo "secret-link unreachable"; echo "image null: $(stat -c %F /dev/null)"';

  for (const kind of ['file', 'symlink'] as const) {
    t.test(`masks bind the runtime's own null device when the image's /dev/null is a ${kind === 'file' ? 'regular file' : 'symlink to a host file'}`, async (t) => {
      const r = await run(image(plantNull(kind)), LOOK);
      t.equal(r.code, 0, `the container ran (${r.err.trim() || r.error?.message || 'no stderr'})`);
      t.match(r.out, /^\/proc\/version character special file 1:3 0$/m, 'a masked procfs file is the null device and reads empty');
      t.match(r.out, /^\/secret character special file 1:3 0$/m, 'a masked image file is the null device and reads empty');
      t.notMatch(r.out, /PLANTED|host file|SECRET/, 'neither the planted /dev/null, the host file nor the masked secret is read');
      t.match(r.out, /^tty tmpfs directory$/m, 'a masked procfs directory is covered by a tmpfs');
      t.match(r.out, /^secret-link unreachable$/m, 'a mask target symlinked out of the root resolves inside it (nothing there: skipped)');
      // the plant is really in the container: the masks did not get the null device from it
      t.match(r.out, new RegExp(`^image null: ${kind === 'file' ? 'regular file' : 'symbolic link'}$`, 'm'), 'the image\'s own /dev/null is still the planted one');
      hostUntouched(t);
    });
  }

  t.test('an image /proc that is not a directory of the image is refused, or the masks follow it onto procfs', async (t) => {
    const hostProcDir = join(dir, 'host-proc-dir');
    mkdirSync(hostProcDir);
    const base = plantNull('file');
    const asFile = await run(image((l) => { base(l); rmSync(join(l, 'proc'), { recursive: true }); writeFileSync(join(l, 'proc'), 'not a directory\n'); }), 'true');
    t.equal(asFile.code, -1, '/proc as a regular file: refused');
    t.match(asFile.error?.message ?? '', /^run `hostile`: step \d+ \((mkdir|proc) \/proc.*\) failed on \/proc: ENOTDIR$/, `one line naming the step: ${asFile.error?.message}`);
    const outOfRoot = await run(image((l) => { base(l); rmSync(join(l, 'proc'), { recursive: true }); symlinkSync(hostProcDir, join(l, 'proc')); }), 'true');
    t.equal(outOfRoot.code, -1, '/proc as a symlink to a host directory: refused');
    t.match(outOfRoot.error?.message ?? '', /^run `hostile`: step \d+ \(proc \/proc\) failed on \/proc: ENOENT$/, `resolved inside the root, where nothing is: ${outOfRoot.error?.message}`);
    t.same(readdirSync(hostProcDir), [], 'the host directory the symlink names got nothing');
    const inRoot = await run(image((l) => { base(l); rmSync(join(l, 'proc'), { recursive: true }); symlinkSync('/etc', join(l, 'proc')); }), LOOK);
    t.equal(inRoot.code, 0, inRoot.err || String(inRoot.error ?? ''));
    t.match(inRoot.out, /^\/proc\/version character special file 1:3 0$/m, '/proc -> /etc: procfs lands on the image\'s /etc and the mask still covers its version file');
    hostUntouched(t);
  });

  t.test('exec gives a non-interactive stdin the runtime\'s own /dev/null, not the container\'s', async (t) => {
    const img = image(plantNull('file'));
    let started!: () => void;
    const up = new Promise<void>((res) => { started = res; });
    let pid = 0;
    const box = launch(planFor(img, ids, TREE, ['/bin/sleep', '30'], cgroupProcs), 'hostile', { onPid: (p) => { pid = p; }, onStarted: () => started() }, ['ignore', 'ignore', 'pipe']);
    try {
      await Promise.race([up, box.done]);
      t.ok(pid > 0, 'the container runs');
      const ex = launch(planFor(img, ids, TREE, ['/bin/sh', '-c', 'echo "stdin $(stat -L -c "%F %t:%T" /proc/self/fd/0), $(cat | wc -c) bytes"; echo "image null: $(cat /dev/null)"'], cgroupProcs),
        'exec', {}, ['ignore', 'pipe', 'pipe'], [['exec', String(pid)]]);
      let out = '';
      ex.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
      const r = await ex.done;
      t.equal(r.code, 0);
      t.match(out, /^stdin character special file 1:3, 0 bytes$/m, 'the exec\'d process\'s stdin is the null device and reads empty');
      t.match(out, /^image null: PLANTED-NULL$/m, 'while the container\'s own /dev/null is the planted file');
    } finally {
      box.signal(9);
      await box.done.catch(() => undefined);
    }
    hostUntouched(t);
  });

  t.test('procfs writes go through fds proven to be on procfs: a fake /proc is refused, its files untouched', async (t) => {
    const img = image(plantNull('file'));
    const plan = planFor(img, ids, TREE, ['/bin/true'], cgroupProcs);
    // the launcher is pid 1 of a fresh pid namespace: its helper gets a small pid; every candidate is planted
    const PIDS = Array.from({ length: 30 }, (_, i) => i + 2);
    const refused = async (t: Test, setup: string, op: string, errname: string, path: RegExp) => {
      const r = await launchWithFakeProc(plan, setup);
      t.equal(r.code, 125, `the launcher fails (${r.stderr || 'no stderr'})`);
      const errors = r.lines.filter((l) => l.event === 'error');
      t.equal(errors.length, 1, `exactly one error line: ${JSON.stringify(r.lines)}`);
      const e = errors[0]!;
      t.equal(e.op, op, `it names the step: ${JSON.stringify(e)}`);
      if (op !== 'sysctl') t.match(r.steps[e.step!] ?? '', new RegExp(`^${op} `), `step ${e.step} is the plan's ${op} record`);
      t.equal(e.errname, errname);
      t.match(e.path ?? '', path);
      t.notOk(r.lines.some((l) => l.event === 'pid' || l.event === 'started'), 'no container was made');
      t.equal(r.namespaces.length, 2, 'the namespaces it ran in were seen');
      t.same(processesIn(r.namespaces), [], 'no process is left in its pid or mount namespace');
    };

    t.test('/proc is a plain directory with planted uid_map files', async (t) => {
      const fake = join(dir, 'fakeproc-plain');
      for (const p of PIDS) { mkdirSync(join(fake, String(p)), { recursive: true }); writeFileSync(join(fake, String(p), 'uid_map'), 'PLANTED\n'); writeFileSync(join(fake, String(p), 'gid_map'), 'PLANTED\n'); }
      await refused(t, `mount --bind ${fake} /proc`, 'uidmap', 'EXDEV', /^\/proc\/\d+\/uid_map$/);
      const written = PIDS.filter((p) => ['uid_map', 'gid_map'].some((f) => readFileSync(join(fake, String(p), f), 'utf8') !== 'PLANTED\n'));
      t.same(written, [], 'every planted uid_map and gid_map still holds its text');
      hostUntouched(t);
    });

    t.test('/proc/<pid>/uid_map is a symlink to a host file', async (t) => {
      const fake = join(dir, 'fakeproc-link');
      for (const p of PIDS) { mkdirSync(join(fake, String(p)), { recursive: true }); symlinkSync(hostFile, join(fake, String(p), 'uid_map')); }
      await refused(t, `mount --bind ${fake} /proc`, 'uidmap', 'ELOOP', /^\/proc\/\d+\/uid_map$/);
      hostUntouched(t);
    });

    t.test('/proc reaches real procfs for the id maps, but the sysctl the helper writes is a planted file', async (t) => {
      const fake = join(dir, 'fakeproc-sysctl'), real = join(dir, 'realproc');
      mkdirSync(join(fake, 'sys', 'net', 'ipv4'), { recursive: true });
      mkdirSync(real);
      const sysctl = join(fake, 'sys', 'net', 'ipv4', 'ip_unprivileged_port_start');
      writeFileSync(sysctl, 'PLANTED\n');
      for (const p of PIDS) symlinkSync(join(real, String(p)), join(fake, String(p)));
      await refused(t, `mount -t proc proc ${real} && mount --bind ${fake} /proc`, 'sysctl', 'EXDEV', /^\/proc\/sys\/net\/ipv4\/ip_unprivileged_port_start$/);
      t.equal(readFileSync(sysctl, 'utf8'), 'PLANTED\n', 'the planted sysctl file is untouched');
      hostUntouched(t);
    });
  });
}
