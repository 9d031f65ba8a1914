// test/image/store.test.ts — refs, import formats, images/tag/rmi/history/inspect through the CLI (host, root)
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { lstatSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { normaliseTag, openStore, parseRef, registerImageInUse } from '../../image/index.js';
import { busyboxMissing, busyboxRootfs } from '../helpers/busybox-rootfs.js';
import { compress, dockerSaveLegacy, tarOf } from '../helpers/image-archives.js';
import { CLI } from '../helpers/paths.js';
import { ROOT_REASON, isRoot, storeContents, tempStore, writeArchive } from './fixtures.js';

const skip = !isRoot && ROOT_REASON;

t.test('references normalise like docker', async (t) => {
  t.equal(normaliseTag('busybox'), 'busybox:latest');
  t.equal(normaliseTag('docker.io/library/busybox:1.36'), 'busybox:1.36');
  t.equal(normaliseTag('docker.io/me/app'), 'me/app:latest');
  t.equal(normaliseTag('localhost:5000/x/y:v1'), 'localhost:5000/x/y:v1');
  t.same(parseRef(`a@sha256:${'0'.repeat(64)}`), { name: 'a', digest: `sha256:${'0'.repeat(64)}` });
  for (const bad of ['Upper', 'a/../b', 'a:b:c', 'a@sha256:12', '', 'a:-x']) t.throws(() => normaliseTag(bad), { code: 'TSS_EUSAGE' }, bad);
});

const cli = (root: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, '--root', root, ...args], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout, err: r.stderr };
};

t.test('import: plain, gzip, zstd and stdin give the same layer', { skip: skip || busyboxMissing() }, async (t) => {
  const { store, dir, root } = tempStore(t);
  const raw = await busyboxRootfs();
  const ids: string[] = [];
  for (const [name, data] of [['bb.tar', raw], ['bb.tar.gz', gzipSync(raw)], ['bb.tar.zst', compress(raw, 'zstd')]] as const) {
    writeFileSync(join(dir, name), data);
    ids.push(await store.importRootfs(join(dir, name), `bb:${name.replace(/\W/g, '-')}`));
  }
  const viaStdin = execFileSync(process.execPath, [CLI, '--root', root, 'import', '-', 'bb:stdin'], { input: raw, encoding: 'utf8' });
  t.match(viaStdin, /^sha256:[0-9a-f]{64}\n$/);
  t.equal(new Set(ids).size, 3, 'each import is its own image (own created time)');
  t.equal(storeContents(root).layers.length, 1, 'one shared layer');
  const img = await store.resolve('bb:stdin');
  t.ok(lstatSync(join(img.layers[0]!, 'bin/busybox')).isFile());
  t.same(img.config.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
  t.equal(img.ref, 'bb:stdin');
});

t.test('images, tag, history, inspect, rmi through the CLI', { skip }, async (t) => {
  const { dir, root } = tempStore(t);
  const shared = await tarOf([{ name: 'base', data: 'base' }]);
  const archive = await writeArchive(dir, 'two.tar', dockerSaveLegacy([
    { layers: [shared, await tarOf([{ name: 'one', data: '1' }])], tags: ['one:1'] },
    { layers: [shared, await tarOf([{ name: 'two', data: '2' }])], tags: ['two:1'] },
  ]));
  t.equal(cli(root, 'load', '-i', archive).out, 'Loaded image: one:1\nLoaded image: two:1\n');
  t.equal(cli(root, 'tag', 'one:1', 'ghcr.io/me/one').status, 0);
  const table = cli(root, 'images').out.split('\n');
  t.match(table[0], /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
  t.equal(table.filter((l) => /^(one|two|ghcr\.io\/me\/one)\s/.test(l)).length, 3);
  const json = cli(root, 'images', '--format', 'json').out.trim().split('\n').map((l) => JSON.parse(l) as { Repository: string; Tag: string; ID: string });
  t.same(json.map((j) => `${j.Repository}:${j.Tag}`).sort(), ['ghcr.io/me/one:latest', 'one:1', 'two:1']);
  t.match(cli(root, 'history', 'one:1').out, /layer 2/);
  const insp = JSON.parse(cli(root, 'image', 'inspect', 'one:1').out) as Array<{ Id: string; RepoTags: string[]; RootFS: { Layers: string[] } }>;
  t.same(insp[0]!.RepoTags, ['ghcr.io/me/one:latest', 'one:1']);
  t.equal(insp[0]!.RootFS.Layers.length, 2);

  // by id with two tags needs -f; removing one of two tags by name only untags
  const byId = cli(root, 'rmi', insp[0]!.Id.slice(7, 19));
  t.equal(byId.status, 125);
  t.match(byId.err, /^tssandbox: remove image `[0-9a-f]{12}`: it has 2 tags/);
  t.equal(cli(root, 'rmi', 'one:1').out, 'Untagged: one:1\n');
  // an image a container uses is refused unless -f
  registerImageInUse((id) => id === insp[0]!.Id);
  await t.rejects(openStore(root).remove('ghcr.io/me/one'), { code: 'TSS_EIMAGE', message: /a container uses it/ });
  registerImageInUse(() => false);
  t.equal(cli(root, 'rmi', 'ghcr.io/me/one').out, `Untagged: ghcr.io/me/one:latest\nDeleted: ${insp[0]!.Id}\n`);
  t.equal(storeContents(root).layers.length, 2, 'the shared base layer stays for two:1');
  t.equal(cli(root, 'rmi', 'two:1').status, 0);
  t.same(storeContents(root), { images: [], layers: [], blobs: [], tmp: [] }, 'everything collected');
  t.match(cli(root, 'rmi', 'two').err, /^tssandbox: remove image `two`: no such image in the store\n$/);
});
