// test/audit/fuzz.test.ts — random mutations of a keyed, anchored log: verify never throws and never passes one (temp files)
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { verify } from '../../audit/index.js';
import { KEY, tempDir, writeLog } from './fixtures.js';

/** mulberry32: a small PRNG with a fixed seed, so a failure replays */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

t.test('1000 random mutations are all caught', async (t) => {
  const dir = tempDir(t);
  const { path, head } = writeLog(dir, 10, { key: KEY });
  const orig = readFileSync(path);
  const rnd = prng(0x5eed);
  const int = (n: number) => Math.floor(rnd() * n);
  const lines = (b: Buffer) => b.toString('latin1').split('\n').slice(0, -1);
  const join = (ls: string[]) => Buffer.from(ls.map((l) => `${l}\n`).join(''), 'latin1');
  const mutations: [string, (b: Buffer) => Buffer][] = [
    ['flip a bit', (b) => { const c = Buffer.from(b); c[int(c.length)]! ^= 1 << int(8); return c; }],
    ['set a byte', (b) => { const c = Buffer.from(b); c[int(c.length)] = int(256); return c; }],
    ['delete a byte', (b) => { const i = int(b.length); return Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]); }],
    ['insert a byte', (b) => { const i = int(b.length + 1); return Buffer.concat([b.subarray(0, i), Buffer.from([int(256)]), b.subarray(i)]); }],
    ['truncate', (b) => b.subarray(0, int(b.length))],
    ['delete a line', (b) => { const ls = lines(b); ls.splice(int(ls.length), 1); return join(ls); }],
    ['duplicate a line', (b) => { const ls = lines(b); const i = int(ls.length); ls.splice(int(ls.length + 1), 0, ls[i]!); return join(ls); }],
    ['swap two lines', (b) => { const ls = lines(b); const i = int(ls.length), j = int(ls.length); [ls[i], ls[j]] = [ls[j]!, ls[i]!]; return join(ls); }],
    ['change a digit', (b) => { const s = b.toString('latin1'); const ds = [...s.matchAll(/\d/g)]; const m = ds[int(ds.length)]!; return Buffer.from(s.slice(0, m.index) + String((Number(m[0]) + 1 + int(8)) % 10) + s.slice(m.index! + 1), 'latin1'); }],
    ['append junk', (b) => Buffer.concat([b, Buffer.from(rnd() < 0.5 ? '{}\n' : `${lines(b).at(-1)}\n`)])],
  ];
  let tried = 0;
  const missed: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const [name, mutate] = mutations[int(mutations.length)]!;
    const m = mutate(orig);
    if (m.equals(orig)) continue;
    tried++;
    writeFileSync(path, m);
    for (const opts of [{ anchor: head, key: KEY }, { anchor: head }]) {
      let r;
      try { r = verify(path, opts); } catch (err) { missed.push(`${name}: threw ${String(err)}`); continue; }
      if (r.ok) missed.push(`${name} #${i} passed${opts.key ? ' with key' : ''}`);
    }
  }
  t.ok(tried > 950, `${tried} mutations tried`);
  t.same(missed, [], 'no mutated log passes, none crashes verify');
});
