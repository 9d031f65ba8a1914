// test/selftest/fuzz-archive.test.ts — archive-loading fuzz: random and mutated tars, manifests and indexes through importRootfs/loadArchive (host; fixed seeds, small budgets)
//
// No crash (every failure is a one-line SandboxError), no hang (each input gets 10 s), and no write
// outside the store: a canary directory beside the store and the absolute paths the hostile members
// name must be untouched after every input. `TSS_FUZZ_SECONDS` gives each fuzzer a longer budget.
import t, { type Test } from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar-stream';
import { SandboxError } from '../../common/errors.js';
import { importRootfs, loadArchive, openStore } from '../../image/index.js';
import { pick, rng } from '../policy/random-policy.js';

const BUDGET_MS = Number(process.env.TSS_FUZZ_SECONDS ?? 3) * 1000;
const ABS = `/tmp/tss-fuzz-abs-${process.pid}`;

interface Entry { name: string; type: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'fifo'; data?: Buffer; linkname?: string }

async function pack(entries: readonly Entry[]): Promise<Buffer> {
  const p = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((res, rej) => { p.on('data', (c: unknown) => { chunks.push(c as Buffer); }); p.on('end', res); p.on('error', rej); });
  for (const e of entries) {
    const data = e.type === 'file' ? e.data ?? Buffer.alloc(0) : Buffer.alloc(0);
    await new Promise<void>((res, rej) => p.entry({
      name: e.name, type: e.type, size: data.length, mode: 0o755, uid: 0, gid: 0, mtime: new Date(1_700_000_000_000),
      ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
      ...(e.type === 'character-device' ? { devmajor: 1, devminor: 3 } : {}),
    }, data, (err) => (err ? rej(err) : res())));
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

// names a hostile archive uses to get out of the store: relative climbs to the canary, absolute paths
const NAMES = ['a', 'a/b', './c', 'etc/passwd', '../canary/pwn', 'a/../../canary/pwn', `${ABS}/x`, '/etc/tss-fuzz', 'lnk/pwn', 'lnk', '.wh.a', 'a/.wh..wh..opq', '', '.', 'x'.repeat(300)];
const LINKS = ['../canary', '/', ABS, 'a', '../../../../../../tmp', 'lnk', '.'];
const TYPES: Entry['type'][] = ['file', 'directory', 'symlink', 'link', 'character-device', 'fifo'];

function randomEntries(r: () => number): Entry[] {
  const n = 1 + Math.floor(r() * 8);
  return Array.from({ length: n }, () => {
    const type = pick(r, TYPES);
    return { name: pick(r, NAMES), type, data: Buffer.from('payload'.repeat(Math.floor(r() * 4))), ...(type === 'symlink' || type === 'link' ? { linkname: pick(r, LINKS) } : {}) };
  });
}

function mutate(r: () => number, b: Buffer): Buffer {
  const out = Buffer.from(b);
  const kind = Math.floor(r() * 4);
  if (kind === 0) for (let i = 0; i < 1 + r() * 16; i++) out[Math.floor(r() * out.length)] = Math.floor(r() * 256); // flip bytes
  if (kind === 1) return out.subarray(0, Math.floor(r() * out.length)); // truncate
  if (kind === 2) { const at = 512 * Math.floor((r() * out.length) / 512); return Buffer.concat([out.subarray(0, at), out.subarray(at, at + 512), out.subarray(at)]); } // repeat a block
  if (kind === 3) { const at = 124 + 512 * Math.floor((r() * out.length) / 512); if (at + 12 <= out.length) out.write('77777777777\0', at, 'latin1'); } // huge size field
  return out;
}

const MANIFESTS = [
  () => '[{"Config":"c.json","RepoTags":["fuzz:1"],"Layers":["l.tar"]}]',
  () => '[{"Config":"../canary/c.json","RepoTags":["fuzz:1"],"Layers":["../../canary/l.tar"]}]',
  () => `[{"Config":"${ABS}/c.json","Layers":["/etc/passwd"]}]`,
  () => '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:' + '0'.repeat(64) + '","size":2}]}',
  () => '{"schemaVersion":2,"manifests":[{"digest":"sha256:../../canary","size":-1}]}',
  () => '[]', () => '{}', () => 'null', () => '[{"Layers":[1,2,3]}]', () => '{"a":'.repeat(500),
];

async function randomDockerArchive(r: () => number): Promise<Buffer> {
  const entries: Entry[] = [];
  const layer = await pack(randomEntries(r));
  const config = pick(r, ['{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}', '{}', 'x', '{"rootfs":{"diff_ids":["sha256:zz"]}}']);
  const manifest = pick(r, MANIFESTS)();
  if (r() < 0.9) entries.push({ name: r() < 0.5 ? 'manifest.json' : 'index.json', type: 'file', data: Buffer.from(manifest) });
  if (r() < 0.5) entries.push({ name: 'oci-layout', type: 'file', data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') });
  entries.push({ name: 'c.json', type: 'file', data: Buffer.from(config) }, { name: 'l.tar', type: 'file', data: r() < 0.3 ? mutate(r, layer) : layer });
  if (r() < 0.3) entries.push({ name: 'blobs/sha256/../../../canary/pwn', type: 'file', data: Buffer.from('x') });
  const tarball = await pack(entries);
  return r() < 0.4 ? mutate(r, tarball) : tarball;
}

function snapshot(dir: string): string {
  const walk = (d: string): string[] => readdirSync(d).flatMap((n) => {
    const p = join(d, n);
    const st = statSync(p, { throwIfNoEntry: false });
    return st?.isDirectory() ? [p, ...walk(p)] : [`${p}:${st?.size}:${st?.isFile() ? readFileSync(p, 'latin1') : ''}`];
  });
  return walk(dir).sort().join('\n');
}

async function withDeadline<T>(p: Promise<T>, ms: number): Promise<T | 'hang'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<'hang'>((res) => { timer = setTimeout(() => res('hang'), ms); })]);
  } finally { if (timer) clearTimeout(timer); }
}

async function fuzz(t: Test, seed: number, make: (r: () => number) => Promise<Buffer>, load: (root: string, file: string, i: number) => Promise<unknown>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tss-fuzz-'));
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }); rmSync(ABS, { recursive: true, force: true }); });
  const canary = join(dir, 'canary');
  mkdirSync(canary);
  writeFileSync(join(canary, 'keep'), 'canary\n');
  const before = snapshot(canary);
  const hostEtc = existsSync('/etc/tss-fuzz');
  const root = join(dir, 'root');
  const r = rng(seed);
  const deadline = Date.now() + BUDGET_MS;
  let n = 0; let bad = 0; let known = 0;
  while (Date.now() < deadline) {
    const input = await make(r);
    const file = join(dir, 'in.tar');
    writeFileSync(file, input);
    let outcome: unknown;
    try { outcome = await withDeadline(load(root, file, n), 10_000); } catch (e) {
      const where = (e as Error).stack?.split('\n').slice(0, 6).join(' | ');
      if ((e as NodeJS.ErrnoException).code === 'ENOTEMPTY' && /importRootfs|loadArchive/.test(where ?? '')) {
        // known bug, reported: the cleanup's rmSync(work) runs while ingestLayer's write streams
        // still write into the temp dir after a malformed tar rejected (image/import.ts finally)
        known++;
      } else if (!(e instanceof SandboxError) || e.message.includes('\n')) {
        if (bad++ < 3) t.fail(`input ${n} (seed ${seed}): not a one-line SandboxError: ${where}`);
      }
    }
    if (outcome === 'hang') { bad++; t.fail(`input ${n} (seed ${seed}) hung for 10 s`); break; }
    if (snapshot(canary) !== before || existsSync(ABS) || existsSync('/etc/tss-fuzz') !== hostEtc || readdirSync(dir).some((x) => !['canary', 'root', 'in.tar'].includes(x))) {
      bad++;
      t.fail(`input ${n} (seed ${seed}) wrote outside the store`);
      break;
    }
    n++;
  }
  t.equal(bad, 0, `${n} inputs, no crash, no hang, nothing written outside the store`);
  t.equal(known, 0, `${known} inputs hit the cleanup race (rmSync ENOTEMPTY) in importRootfs/loadArchive`);
  t.ok(n > 0, 'at least one input ran');
}

t.test('importRootfs: random bytes (seed 11)', (t) => fuzz(t, 11, async (r) => {
  const b = Buffer.alloc(Math.floor(r() * 4096));
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256);
  return b;
}, (root, file, i) => importRootfs(openStore(root), file, `fuzz:r${i}`)));

t.test('importRootfs: random and mutated hostile tars (seed 12)', (t) => fuzz(t, 12, async (r) => {
  const b = await pack(randomEntries(r));
  return r() < 0.5 ? mutate(r, b) : b;
}, (root, file, i) => importRootfs(openStore(root), file, `fuzz:t${i}`)));

t.test('loadArchive: random docker-save / OCI archives with hostile manifests and indexes (seed 13)', (t) => fuzz(t, 13, randomDockerArchive,
  (root, file) => loadArchive(openStore(root), file)));
