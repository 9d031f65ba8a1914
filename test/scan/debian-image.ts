// test/scan/debian-image.ts — a 2-layer docker-save archive streamed from disk: a rootfs tar plus a small top layer (tests)
//
// The Debian rootfs is ~200 MB: it is hashed and copied into the archive as a stream, never held
// in memory. The top layer is small and built in memory (e.g. a changed dpkg status).
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { sha256 } from '../helpers/image-archives.js';

async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return `sha256:${h.digest('hex')}`;
}

/** writeTwoLayerArchive writes a Docker (legacy) save archive: base = rootfsTar, top = topLayer. */
export async function writeTwoLayerArchive(out: string, rootfsTar: string, topLayer: Buffer, tag: string): Promise<void> {
  const diffIds = [await hashFile(rootfsTar), sha256(topLayer)];
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2024-01-02T03:04:05Z',
    config: { Cmd: ['/bin/sh'], Env: ['PATH=/usr/bin:/bin'], User: 'nobody' },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: [{ created_by: 'mmdebstrap minbase' }, { created_by: 'downgrade one dpkg status entry' }],
  }));
  const cfgName = `${sha256(config).slice(7)}.json`;
  const manifest = JSON.stringify([{ Config: cfgName, RepoTags: [tag], Layers: ['l1/layer.tar', 'l2/layer.tar'] }]);
  const pack = tar.pack();
  const written = pipeline(pack, createWriteStream(out));
  const add = (name: string, data: Buffer): Promise<void> => new Promise((res, rej) => { pack.entry({ name, size: data.length }, data, (e) => (e ? rej(e) : res())); });
  await add(cfgName, config);
  await new Promise<void>((res, rej) => {
    const entry = pack.entry({ name: 'l1/layer.tar', size: statSync(rootfsTar).size }, (e) => (e ? rej(e) : res()));
    createReadStream(rootfsTar).pipe(entry);
  });
  await add('l2/layer.tar', topLayer);
  await add('manifest.json', Buffer.from(manifest));
  pack.finalize();
  await written;
}
