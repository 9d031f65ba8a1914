// image/import.ts — `import ROOTFS.tar REF`: a plain root filesystem tar as a one-layer image (CLI process)
import { applyChanges } from './changes.js';
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ingestLayer } from './layer.js';
import { openInput } from './input.js';
import { hostPlatform } from './platform.js';
import { normaliseTag } from './ref.js';
import type { ImageStore } from './store.js';

export interface ImportOptions {
  readonly onBytes?: (n: number) => void;
  readonly onSize?: (total: number | undefined) => void;
  /** docker's --change instructions (CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE, STOPSIGNAL) */
  readonly changes?: readonly string[];
}

/** importRootfs stores the tar (gzip/zstd/plain; '-' = stdin) as image `ref`; returns the id. */
export async function importRootfs(store: ImageStore, path: string, ref: string, opts: ImportOptions = {}): Promise<string> {
  const tag = normaliseTag(ref);
  // the changes are checked before the archive is read: a typo leaves nothing behind
  const runConfig = applyChanges({ Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] }, opts.changes ?? []);
  const input = openInput(path, 'import');
  opts.onSize?.(input.size);
  const work = store.layout.makeTemp('import');
  try {
    const layer = await ingestLayer(input.stream, {
      label: `rootfs ${path === '-' ? 'stdin' : basename(path)}`,
      blobOut: join(work, 'blob'),
      unpackTo: join(work, 'layer'),
      ...(opts.onBytes ? { onBytes: opts.onBytes } : {}),
    });
    const created = new Date().toISOString();
    const config = {
      ...hostPlatform(),
      created,
      config: runConfig,
      rootfs: { type: 'layers', diff_ids: [layer.diffId] },
      history: [{ created, created_by: `tssandbox import ${path === '-' ? '-' : basename(path)}`, comment: 'imported from a root filesystem tar' }],
    };
    const bytes = Buffer.from(JSON.stringify(config));
    const id = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    writeFileSync(join(work, 'config'), bytes);
    await store.commit([{
      id,
      configTmp: join(work, 'config'),
      tags: [tag],
      layers: [{
        record: { diffId: layer.diffId, digest: layer.digest, mediaType: layer.mediaType, size: layer.size, diffSize: layer.diffSize },
        blobTmp: join(work, 'blob'),
        dirTmp: join(work, 'layer'),
      }],
    }]);
    return id;
  } finally {
    // a rejected layer's write streams may still be closing: retry instead of failing the cleanup
    rmSync(work, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 });
  }
}
