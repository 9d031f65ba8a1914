// test/image/debian.test.ts — a real Debian minbase (mmdebstrap, cached): import, save, load round trip (host, root, network once)
import t from 'tap';
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { debianMissing, debianRootfs } from '../helpers/debian-rootfs.js';
import { tempStore } from './fixtures.js';

t.test('Debian minbase: import → save → load gives the same id and a usable tree', { skip: debianMissing(), timeout: 900_000 }, async (t) => {
  const rootfs = await debianRootfs();
  const { store, dir } = tempStore(t);
  const id = await store.importRootfs(rootfs, 'debian:minbase');
  const img = await store.resolve('debian:minbase');
  const layer = img.layers[0]!;
  t.match(readFileSync(join(layer, 'etc/os-release'), 'utf8'), /Debian GNU\/Linux/);
  t.ok(lstatSync(join(layer, 'bin')).isSymbolicLink(), 'merged-usr /bin symlink kept');
  t.equal(lstatSync(join(layer, 'usr/bin/passwd')).mode & 0o4000, 0o4000, 'setuid passwd kept as data');
  t.notOk(existsSync(join(layer, 'dev/null')) && lstatSync(join(layer, 'dev/null')).isCharacterDevice(), 'no device node from the archive');
  const out = join(dir, 'debian.tar');
  await store.save(out, ['debian:minbase']);
  const other = tempStore(t);
  const [loaded] = await other.store.load(out);
  t.equal(loaded!.id, id);
  t.same((await other.store.resolve('debian:minbase')).diffIds, img.diffIds);
});
