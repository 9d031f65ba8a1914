// test/image/integrity.test.ts — corrupted, inconsistent and truncated archives leave no trace; concurrent loads (host, root)
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../image/index.js';
import { buildImage, dockerSaveLegacy, ociLayout, sha256, tarOf, type ImageSpec, type Member } from '../helpers/image-archives.js';
import { ROOT_REASON, isRoot, storeContents, tempStore, writeArchive } from './fixtures.js';
import { CLI } from '../helpers/paths.js';

const skip = !isRoot && ROOT_REASON;
const EMPTY = { images: [], layers: [], blobs: [], tmp: [] };

async function spec(): Promise<ImageSpec> {
  const big = Buffer.alloc(300_000, 'a');
  return { layers: [await tarOf([{ name: 'a', data: big }]), await tarOf([{ name: 'b', data: 'b' }])], tags: ['good:1'], compression: 'gzip' };
}

/** replaceMember swaps one member's data. */
function replace(members: Member[], pred: (m: Member) => boolean, data: Buffer | string): Member[] {
  return members.map((m) => (pred(m) ? { ...m, data } : m));
}

t.test('a corrupted layer blob is refused (digest of the OCI manifest)', { skip }, async (t) => {
  const { store, dir, root } = tempStore(t);
  const s = await spec();
  const b = buildImage(s);
  const corrupt = Buffer.from(b.blobs[0]!);
  corrupt[corrupt.length - 20]! ^= 0xff;
  const members = replace(ociLayout([s]), (m) => m.name === `blobs/sha256/${sha256(b.blobs[0]!).slice(7)}`, corrupt);
  await t.rejects(store.load(await writeArchive(dir, 'c.tar', members)), { code: 'TSS_EARCHIVE', message: /corrupted blob|sha256 is/ });
  t.same(storeContents(root), EMPTY);
});

t.test('a corrupted config is refused (digest in its name)', { skip }, async (t) => {
  const { store, dir, root } = tempStore(t);
  const s = await spec();
  const members = replace(dockerSaveLegacy([s]), (m) => m.name.endsWith('.json') && m.name !== 'manifest.json',
    Buffer.from(String(dockerSaveLegacy([s])[0]!.data).replace('"/bin/sh"', '"/bin/evil"')));
  await t.rejects(store.load(await writeArchive(dir, 'c.tar', members)), { code: 'TSS_EARCHIVE', message: /sha256 is .*the manifest says/ });
  t.same(storeContents(root), EMPTY);
});

t.test('a layer whose content does not match its diff_id is refused, even when the layer is already stored', { skip }, async (t) => {
  const { store, dir, root } = tempStore(t);
  const s = await spec();
  const other = await tarOf([{ name: 'b', data: 'B!' }]);
  const members = dockerSaveLegacy([s]);
  const layer2 = members.filter((m) => m.name.endsWith('layer.tar'))[1]!;
  const bad = replace(members, (m) => m === layer2, other);
  await t.rejects(store.load(await writeArchive(dir, 'd.tar', bad)), { code: 'TSS_EARCHIVE', message: /diff_id is sha256:[0-9a-f]{64}, the config says/ });
  t.same(storeContents(root), EMPTY);
  // once the good image is stored, a bad copy must still be refused (the layer is only hashed then)
  await store.load(await writeArchive(dir, 'good.tar', members));
  const before = storeContents(root);
  await t.rejects(store.load(await writeArchive(dir, 'd2.tar', bad)), { code: 'TSS_EARCHIVE', message: /diff_id/ });
  t.same(storeContents(root), before);
});

t.test('a truncated archive is refused (file and stdin)', { skip }, async (t) => {
  const { store, dir, root } = tempStore(t);
  const full = await writeArchive(dir, 'full.tar', dockerSaveLegacy([await spec()]));
  const bytes = readFileSync(full);
  for (const cut of [Math.floor(bytes.length / 3), bytes.length - 5000, 700]) {
    const p = join(dir, `cut-${cut}.tar`);
    writeFileSync(p, bytes.subarray(0, cut));
    await t.rejects(store.load(p), { code: 'TSS_EARCHIVE' }, `cut at ${cut} of ${bytes.length}`);
    t.same(storeContents(root), EMPTY);
  }
  const r = (() => { try { execFileSync(process.execPath, [CLI, '--root', root, 'load'], { input: bytes.subarray(0, bytes.length / 2), stdio: ['pipe', 'pipe', 'pipe'] }); return undefined; } catch (e) { return e as { status: number; stderr: Buffer }; } })();
  t.equal(r?.status, 125, 'CLI load from stdin fails');
  t.match(String(r?.stderr), /^tssandbox: .+\n$/, 'with one line');
  t.same(storeContents(root), EMPTY);
});

t.test('a truncated gzip layer is refused', { skip }, async (t) => {
  const { store, dir, root } = tempStore(t);
  const s = await spec();
  const b = buildImage(s);
  const members = replace(dockerSaveLegacy([s]), (m) => m.name.endsWith('layer.tar') && Buffer.compare(m.data as Buffer, b.blobs[0]!) === 0, b.blobs[0]!.subarray(0, 200));
  await t.rejects(store.load(await writeArchive(dir, 'g.tar', members)), { code: 'TSS_EARCHIVE' });
  t.same(storeContents(root), EMPTY);
});

t.test('two concurrent loads of the same image both succeed and store it once', { skip }, async (t) => {
  const { dir, root } = tempStore(t);
  const s = await spec();
  const archive = await writeArchive(dir, 'same.tar', dockerSaveLegacy([s]));
  // two processes, as two CLI commands would be
  const run = (): Promise<string> => new Promise((res, rej) => {
    import('node:child_process').then(({ execFile }) => execFile(process.execPath, [CLI, '--root', root, 'load', '-i', archive], (e, out, err) => (e ? rej(new Error(err)) : res(out))));
  });
  const outs = await Promise.all([run(), run(), run()]);
  for (const o of outs) t.equal(o, 'Loaded image: good:1\n');
  const c = storeContents(root);
  t.equal(c.images.length, 1);
  t.equal(c.layers.length, 2);
  t.equal(c.blobs.length, 3, 'config + two layer blobs');
  t.same(c.tmp, [], 'no work dirs left');
  t.equal((await openStore(root).resolve('good:1')).id, buildImage(s).id);
});
