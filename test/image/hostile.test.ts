// test/image/hostile.test.ts — hostile archives: refused or neutralised, nothing outside the store touched (host, root)
import t from 'tap';
import { existsSync, lstatSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dockerSaveLegacy, tarOf, type Member } from '../helpers/image-archives.js';
import { ROOT_REASON, isRoot, storeContents, tempStore, writeArchive, type Test } from './fixtures.js';

const skip = !isRoot && ROOT_REASON;

/** setup: a store, a canary path outside it that must never appear, and the host file to protect. */
function setup(t: Test) {
  const s = tempStore(t);
  const canary = join(s.outside, 'canary');
  const hostFile = join(s.outside, 'host-file');
  const untouched = (): void => {
    t.notOk(existsSync(canary), 'no canary outside the store');
    t.equal(statSync(hostFile).nlink, 1, 'no hardlink to the host file');
  };
  return { ...s, canary, hostFile, untouched };
}

const up = '../'.repeat(24);

/** each case: the layers (as member lists) and the refusal expected, or null when neutralised. */
const refused: Array<[string, (o: string) => Member[][], RegExp]> = [
  ['`..` in a name', (o) => [[{ name: `${up}${o.slice(1)}/canary`, data: 'x' }]], /name contains `\.\.`/],
  ['an absolute name', (o) => [[{ name: `${o}/canary`, data: 'x' }]], /absolute name/],
  ['a write through a symlink to the outside (same layer)', (o) => [[{ name: 'evil', type: 'symlink', linkname: o }, { name: 'evil/canary', data: 'x' }]], /writes through the symlink `evil`/],
  ['a write through a relative symlink out (same layer)', () => [[{ name: 'd/', type: 'directory' }, { name: 'd/evil', type: 'symlink', linkname: up }, { name: 'd/evil/canary', data: 'x' }]], /writes through the symlink `d\/evil`/],
  ['a directory through a symlink (same layer)', (o) => [[{ name: 'evil', type: 'symlink', linkname: o }, { name: 'evil/sub/', type: 'directory' }]], /writes through the symlink `evil`/],
  ['a hardlink to an absolute host path', (o) => [[{ name: 'h', type: 'link', linkname: `${o}/host-file` }]], /hardlink target .*absolute name/],
  ['a hardlink with `..`', (o) => [[{ name: 'h', type: 'link', linkname: `${up}${o.slice(1)}/host-file` }]], /hardlink target .*`\.\.`/],
  ['a hardlink through a symlinked dir', (o) => [[{ name: 's', type: 'symlink', linkname: o }, { name: 'h', type: 'link', linkname: 's/host-file' }]], /hardlink target .*goes through the symlink `s`/],
  ['a hardlink to a file of an earlier layer', () => [[{ name: 'f', data: 'x' }], [{ name: 'h', type: 'link', linkname: 'f' }]], /not a file of this layer/],
  ['a whiteout naming `..`', () => [[{ name: 'a/', type: 'directory' }, { name: 'a/.wh...' }]], /whiteout names a path outside/],
  ['a whiteout in an outside dir', (o) => [[{ name: `${up}${o.slice(1)}/.wh.host-file` }]], /`\.\.`/],
  ['a whiteout through a symlink', (o) => [[{ name: 'evil', type: 'symlink', linkname: o }, { name: 'evil/.wh.host-file' }]], /writes through the symlink `evil`/],
];

for (const [what, layers, reason] of refused) {
  t.test(`refuses ${what}`, { skip }, async (t) => {
    const { store, dir, root, outside, untouched } = setup(t);
    const tars = await Promise.all(layers(outside).map((m) => tarOf(m)));
    const archive = await writeArchive(dir, 'evil.tar', dockerSaveLegacy([{ layers: tars, tags: ['evil:1'] }]));
    const err = await store.load(archive).then(() => undefined, (e: unknown) => e as Error & { code: string });
    t.ok(err, 'load fails');
    t.equal(err?.code, 'TSS_EARCHIVE');
    t.match(err?.message ?? '', reason);
    t.notMatch(err?.message ?? '', /\n/, 'one line');
    untouched();
    t.same(storeContents(root), { images: [], layers: [], blobs: [], tmp: [] }, 'no trace in the store');
  });
}

t.test('refuses the same hostile rootfs on import', { skip }, async (t) => {
  const { store, dir, root, outside, untouched } = setup(t);
  const p = await writeArchive(dir, 'evil-rootfs.tar', [{ name: 'evil', type: 'symlink', linkname: outside }, { name: 'evil/canary', data: 'x' }]);
  await t.rejects(store.importRootfs(p, 'evil'), { code: 'TSS_EARCHIVE', message: /unpack rootfs evil-rootfs\.tar `evil\/canary`: writes through the symlink `evil`/ });
  untouched();
  t.same(storeContents(root), { images: [], layers: [], blobs: [], tmp: [] });
});

t.test('a symlink out in one layer and a write "through" it in the next stays inside the later layer', { skip }, async (t) => {
  const { store, dir, outside, untouched } = setup(t);
  const l1 = await tarOf([{ name: 'evil', type: 'symlink', linkname: outside }]);
  const l2 = await tarOf([{ name: 'evil/canary', data: 'x' }]);
  await store.load(await writeArchive(dir, 'later.tar', dockerSaveLegacy([{ layers: [l1, l2], tags: ['later:1'] }])));
  const img = await store.resolve('later:1');
  t.ok(lstatSync(join(img.layers[0]!, 'evil')).isSymbolicLink(), 'the symlink is kept as data in layer 1');
  t.ok(lstatSync(join(img.layers[1]!, 'evil')).isDirectory(), 'layer 2 has a real directory (overlay shows it over the symlink)');
  t.ok(lstatSync(join(img.layers[1]!, 'evil/canary')).isFile());
  untouched();
});

t.test('device nodes and fifos are never created', { skip }, async (t) => {
  const { store, dir, untouched } = setup(t);
  const l = await tarOf([
    { name: 'dev/', type: 'directory' },
    { name: 'dev/mem', type: 'character-device', devmajor: 1, devminor: 1 },
    { name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0 },
    { name: 'dev/fifo', type: 'fifo' },
    { name: 'dev/whiteout-lookalike', type: 'character-device', devmajor: 0, devminor: 0 },
    { name: 'ok', data: 'ok' },
  ]);
  await store.load(await writeArchive(dir, 'dev.tar', dockerSaveLegacy([{ layers: [l], tags: ['dev:1'] }])));
  const layer = (await store.resolve('dev:1')).layers[0]!;
  for (const n of ['mem', 'sda', 'fifo', 'whiteout-lookalike']) t.notOk(existsSync(join(layer, 'dev', n)), `dev/${n} not created`);
  t.ok(existsSync(join(layer, 'ok')));
  untouched();
});

t.test('a manifest naming `../` paths is refused', { skip }, async (t) => {
  const { store, dir, root, outside, untouched } = setup(t);
  const good = await tarOf([{ name: 'x', data: 'x' }]);
  const legacy = dockerSaveLegacy([{ layers: [good], tags: ['m:1'] }]);
  const manifest = JSON.parse(String(legacy.find((m) => m.name === 'manifest.json')!.data)) as Array<{ Config: string; Layers: string[] }>;
  for (const [field, value] of [['Layers', [`../${outside}/x.tar`]], ['Config', '../../etc/passwd'], ['Config', '/etc/passwd']] as const) {
    const m = [{ ...manifest[0]!, [field]: value }];
    const members = [...legacy.filter((x) => x.name !== 'manifest.json'), { name: 'manifest.json', data: JSON.stringify(m) }];
    await t.rejects(store.load(await writeArchive(dir, 'm.tar', members)), { code: 'TSS_EARCHIVE', message: /manifest\.json.*(`\.\.`|absolute name)/ }, `${field} = ${JSON.stringify(value)}`);
  }
  // a symlink member of the outer archive pointing out of it is refused the same way
  const linked = [...legacy.filter((x) => x.name !== 'manifest.json'), { name: 'manifest.json', type: 'symlink' as const, linkname: '/etc/passwd' }];
  await t.rejects(store.load(await writeArchive(dir, 'l.tar', linked)), { code: 'TSS_EARCHIVE', message: /absolute name/ });
  untouched();
  t.same(storeContents(root), { images: [], layers: [], blobs: [], tmp: [] });
});
