// test/image/save.test.ts — save → load round trips; podman loads and runs what we save (host, root; podman optional)
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../image/index.js';
import { busyboxMissing, busyboxRootfs } from '../helpers/busybox-rootfs.js';
import { dockerSaveLegacy, tarOf } from '../helpers/image-archives.js';
import { ROOT_REASON, isRoot, storeContents, tempDir, tempStore, writeArchive, type Test } from './fixtures.js';

const skip = !isRoot && ROOT_REASON;

t.test('save → load round-trips to the same image id, tags and layers', { skip }, async (t) => {
  const { store, dir, root } = tempStore(t);
  const l1 = await tarOf([{ name: 'a/', type: 'directory' }, { name: 'a/x', data: 'x' }, { name: 'suid', data: 's', mode: 0o4755 }]);
  const l2 = await tarOf([{ name: 'a/.wh.x' }, { name: 'b', data: 'b' }]);
  const [loaded] = await store.load(await writeArchive(dir, 'in.tar', dockerSaveLegacy([{ layers: [l1, l2], tags: ['rt:1'], compression: 'gzip' }])));
  await store.tag('rt:1', 'other/rt:2');
  const out = join(dir, 'out.tar');
  await store.save(out, ['rt:1', 'other/rt:2']);
  const names = execFileSync('tar', ['-tf', out], { encoding: 'utf8' }).trim().split('\n').sort();
  t.ok(names.includes('manifest.json') && names.includes('index.json') && names.includes('oci-layout'), 'docker save + OCI layout files');
  const manifest = JSON.parse(execFileSync('tar', ['-xOf', out, 'manifest.json'], { encoding: 'utf8' })) as Array<{ RepoTags: string[]; Layers: string[] }>;
  t.same(manifest.map((m) => m.RepoTags), [['rt:1'], ['other/rt:2']]);
  t.same(new Set(manifest.flatMap((m) => m.Layers)).size, 2, 'shared layers written once');

  const other = tempStore(t);
  const again = await other.store.load(out);
  t.same(again.map((a) => a.id), [loaded!.id, loaded!.id], 'same image id');
  t.same(again.flatMap((a) => a.tags).sort(), ['other/rt:2', 'rt:1']);
  t.same(storeContents(other.root).layers.sort(), storeContents(root).layers.sort(), 'same layer diff_ids');
  // layers are saved as the archive's own tars (decompressed), so `.wh.x` comes back as a whiteout
  const b = await other.store.resolve('rt:1');
  t.ok(lstatSync(join(b.layers[1]!, 'a', 'x')).isCharacterDevice(), 'whiteout present in the reloaded layer');
});

t.test('save refuses an unknown image and leaves no partial file', { skip }, async (t) => {
  const { store, dir } = tempStore(t);
  const out = join(dir, 'x.tar');
  await t.rejects(store.save(out, ['nope:1']), { code: 'TSS_EIMAGE', message: /find image `nope:1`: no such image/ });
  t.notOk(existsSync(out));
});

/** podman with a throwaway config and storage, so the machine's own podman state is not touched. */
function podman(t: Test): ((...args: string[]) => { status: number | null; stdout: string; stderr: string }) | undefined {
  if (spawnSync('podman', ['--version']).status !== 0) return undefined;
  const dir = tempDir(t, 'tss-podman-');
  const conf = join(dir, 'containers.conf');
  // podman here needs explicit nofile/nproc limits for its containers
  writeFileSync(conf, '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n');
  const base = ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--storage-driver', 'vfs'];
  t.teardown(() => {
    spawnSync('podman', [...base, 'rm', '-af'], { env: { ...process.env, CONTAINERS_CONF: conf } });
    // nothing may stay mounted under the temp dir before it is removed
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n').reverse()) {
      const mp = line.split(' ')[4];
      if (mp && mp.startsWith(dir)) spawnSync('umount', ['-l', mp]);
    }
  });
  return (...args) => {
    const r = spawnSync('podman', [...base, ...args], { env: { ...process.env, CONTAINERS_CONF: conf }, encoding: 'utf8', timeout: 120_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
}

t.test('podman loads and runs what save writes; we load what podman saves', { skip: skip || busyboxMissing() }, async (t) => {
  const p = podman(t);
  if (!p) { t.pass('skipped: podman is not installed (apt-get install podman)'); return; }
  const { store, dir } = tempStore(t);
  const rootfs = join(dir, 'bb.tar');
  writeFileSync(rootfs, await busyboxRootfs());
  const id = await store.importRootfs(rootfs, 'tss-busybox:1');
  const out = join(dir, 'bb-save.tar');
  await store.save(out, ['tss-busybox:1']);
  const load = p('load', '-i', out);
  t.equal(load.status, 0, `podman load: ${load.stderr.trim().split('\n').pop()}`);
  t.match(load.stdout, /Loaded image: docker.io\/library\/tss-busybox:1/);
  const ids = p('images', '--no-trunc', '--format', '{{.ID}}');
  t.match(ids.stdout, id.slice(7), 'podman sees the same image id');
  // crun refuses this machine's hybrid cgroup layout; runc runs it
  const runtime = spawnSync('runc', ['--version']).status === 0 ? ['--runtime', 'runc'] : [];
  const run = p('run', '--rm', '--network', 'none', ...runtime, 'tss-busybox:1', '/bin/sh', '-c', 'echo hello from $(cat /etc/passwd | head -c 4)');
  t.equal(run.status, 0, `podman run: ${run.stderr.trim().split('\n').pop()}`);
  t.equal(run.stdout, 'hello from root\n');
  const back = join(dir, 'from-podman.tar');
  t.equal(p('save', '-o', back, 'tss-busybox:1').status, 0, 'podman save');
  const other = openStore(join(dir, 'root2'));
  const loaded = await other.load(back);
  t.equal(loaded[0]!.id, id, "podman's docker archive loads to the same id");
});
