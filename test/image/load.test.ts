// test/image/load.test.ts — load every archive format; layers shared, whiteouts in overlay form (host, root)
import t from 'tap';
import { lstatSync, mkdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { busyboxMissing, busyboxRootfs } from '../helpers/busybox-rootfs.js';
import { buildImage, dockerSaveLegacy, multiPlatform, ociLayout, tarOf, writeTree, type Compression, type ImageSpec } from '../helpers/image-archives.js';
import { ROOT_REASON, hasOverlay, isRoot, mergedTree, storeContents, tempStore, writeArchive } from './fixtures.js';

async function whiteoutImage(compression: Compression = 'none', tags = ['multi:1']): Promise<ImageSpec> {
  const l1 = await tarOf([
    { name: 'a/', type: 'directory' }, { name: 'a/keep', data: 'keep' }, { name: 'a/gone', data: 'gone' },
    { name: 'o/', type: 'directory' }, { name: 'o/old', data: 'old' }, { name: 'f', data: 'f' },
    { name: 'suid', data: 'x', mode: 0o4755, uid: 1000, gid: 1000 },
  ]);
  const l2 = await tarOf([
    { name: 'a/.wh.gone' }, { name: 'o/', type: 'directory' }, { name: 'o/.wh..wh..opq' }, { name: 'o/new', data: 'new' },
    { name: '.wh.f' }, { name: 'g', data: 'g' },
  ]);
  return { layers: [l1, l2], tags, compression };
}

const EXPECTED_MERGE = ['./a d', './a/keep f', './g f', './o d', './o/new f', './suid f'];

t.test('docker save (legacy layout, gzip layers): whiteouts and opaque dirs in overlay form', { skip: !isRoot && ROOT_REASON }, async (t) => {
  const { store, dir } = tempStore(t);
  const spec = await whiteoutImage('gzip');
  const archive = await writeArchive(dir, 'multi.tar', dockerSaveLegacy([spec]));
  const loaded = await store.load(archive);
  t.same(loaded, [{ id: buildImage(spec).id, tags: ['multi:1'] }]);
  const img = await store.resolve('multi:1');
  t.equal(img.layers.length, 2);
  const [l1, l2] = img.layers as [string, string];
  const wh = lstatSync(join(l2, 'a/gone'));
  t.ok(wh.isCharacterDevice() && wh.rdev === 0, '.wh.gone became a 0:0 char device');
  t.ok(lstatSync(join(l2, 'f')).isCharacterDevice(), '.wh.f became a whiteout');
  t.equal(execFileSync('getfattr', ['--absolute-names', '--only-values', '-n', 'trusted.overlay.opaque', join(l2, 'o')], { encoding: 'utf8' }), 'y');
  const suid = lstatSync(join(l1, 'suid'));
  t.equal(suid.mode & 0o7777, 0o4755, 'setuid kept as data');
  t.equal(suid.uid, 1000, 'ownership from the archive');
  t.equal(readFileSync(join(l1, 'a/keep'), 'utf8'), 'keep');
  t.test('overlayfs shows the merged tree', { skip: hasOverlay() }, async (t) => {
    const mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    t.same(mergedTree(img.layers, mnt), EXPECTED_MERGE);
  });
});

for (const [name, compression, docker] of [['OCI layout tar, zstd', 'zstd', false], ['Docker >= 25 (OCI inside), uncompressed', 'none', true]] as const) {
  t.test(`${name}: loads with the same id; layers shared with an earlier image`, { skip: !isRoot && ROOT_REASON }, async (t) => {
    const { store, dir, root } = tempStore(t);
    const spec = await whiteoutImage(compression, ['docker.io/library/multi:2']);
    await store.load(await writeArchive(dir, 'a.tar', dockerSaveLegacy([await whiteoutImage('gzip')])));
    const loaded = await store.load(await writeArchive(dir, 'b.tar', ociLayout([spec], { docker })));
    t.same(loaded.map((l) => l.tags), [['multi:2']], 'docker.io/library/ is dropped from the name');
    t.equal(loaded[0]!.id, buildImage(spec).id);
    t.equal(storeContents(root).layers.length, 2, 'two images, two shared layers');
    const a = await store.resolve('multi:1');
    const b = await store.resolve('multi:2');
    t.same(a.layers, b.layers);
    if (!docker) t.ok((await store.resolve(`multi@${buildImage(spec).manifestDigest}`)).id === loaded[0]!.id, 'name@manifest-digest resolves');
  });
}

t.test('OCI layout directory with busybox', { skip: (!isRoot && ROOT_REASON) || busyboxMissing() }, async (t) => {
  const { store, dir } = tempStore(t);
  const layout = join(dir, 'layout');
  writeTree(layout, ociLayout([{ layers: [await busyboxRootfs()], tags: ['busybox:latest'], compression: 'gzip' }]));
  const loaded = await store.load(layout);
  t.same(loaded[0]!.tags, ['busybox:latest']);
  const img = await store.resolve('busybox');
  t.equal(img.ref, 'busybox:latest');
  t.same(img.config.Cmd, ['/bin/sh']);
  t.ok(lstatSync(join(img.layers[0]!, 'bin/sh')).isSymbolicLink());
  t.equal(lstatSync(join(img.layers[0]!, 'tmp')).mode & 0o7777, 0o1777);
});

t.test('multi-platform index: the host platform is chosen; a mismatch names the platforms', { skip: !isRoot && ROOT_REASON }, async (t) => {
  const { store, dir, root } = tempStore(t);
  const mk = async (arch: string): Promise<ImageSpec & { architecture: string }> => ({ layers: [await tarOf([{ name: `only-${arch}`, data: arch }])], tags: [], architecture: arch });
  const [amd, arm, ppc] = [await mk('amd64'), await mk('arm64'), await mk('ppc64le')];
  const loaded = await store.load(await writeArchive(dir, 'multi.tar', multiPlatform([arm, amd], 'plat:1')));
  t.equal(loaded[0]!.id, buildImage(amd).id, 'linux/amd64 chosen');
  const img = await store.resolve('plat:1');
  t.ok(lstatSync(join(img.layers[0]!, 'only-amd64')).isFile());
  const before = storeContents(root);
  await t.rejects(store.load(await writeArchive(dir, 'other.tar', multiPlatform([arm, ppc], 'plat:2'))), { code: 'TSS_EARCHIVE', message: /no image for linux\/amd64 \(found linux\/arm64, linux\/ppc64le\)/ });
  t.same(storeContents(root), before, 'nothing stored by the refused load');
});

t.test('untagged OCI image loads by id', { skip: !isRoot && ROOT_REASON }, async (t) => {
  const { store, dir } = tempStore(t);
  const spec: ImageSpec = { layers: [await tarOf([{ name: 'x', data: 'x' }])], tags: [] };
  const b = buildImage(spec);
  const members = ociLayout([spec], { index: { schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: b.manifestDigest, size: b.manifest.length }] } });
  const loaded = await store.load(await writeArchive(dir, 'u.tar', members));
  t.same(loaded, [{ id: b.id, tags: [] }]);
  t.equal((await store.resolve(b.id.slice(7, 19))).id, b.id, 'an id prefix resolves');
});
