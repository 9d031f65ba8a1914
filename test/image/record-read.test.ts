// test/image/record-read.test.ts — the store's zod-free record checks against the zod schemas they stand in for (host, pure)
//
// record-read.ts accepts a subset of what each schema accepts and must return exactly zod's output
// (keys, order, values); what it does not accept goes to zod. Checked on valid records, on every
// field replaced by each value of a list, on extra and __proto__ keys, and on random mutations.
import t, { type Test } from 'tap';
import { ConfigFile, ImageRecord, IndexFile } from '../../image/records.js';
import { fastChecks, readConfigFile, readImageRecord, readIndexFile } from '../../image/record-read.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const LAYER = { diffId: D('a'), digest: D('b'), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: 10, diffSize: 20 };
const RECORD = { v: 1, id: D('c'), layers: [LAYER, { ...LAYER, diffId: D('d') }], manifestDigest: D('e'), loadedAt: '2026-11-23T20:00:00.000Z' };
const INDEX = { v: 1, refs: { 'busybox:latest': D('c'), 'a/b:1': D('f') } };
const CONFIG = {
  architecture: 'amd64', os: 'linux', created: '2026-01-01T00:00:00Z', zz: { any: 1 }, author: 'me',
  config: { Env: ['PATH=/bin'], Cmd: ['sh'], Labels: { a: 'b' } },
  rootfs: { type: 'layers', diff_ids: [D('a'), D('d')] },
  history: [{ created_by: 'ADD x', extra: [1], empty_layer: false }, { comment: 'c' }],
  variant: 'v8', 'x-extra': null,
};
const VALUES: unknown[] = [undefined, null, 0, -1, 1.5, 2 ** 53, NaN, '', 'x', true, false, [], [1], {}, { a: 1 }, D('0'), `sha256:${'A'.repeat(64)}`, `sha256:${'a'.repeat(63)}`, 'layers', 1, [D('1')]];

const cases = [
  { name: 'image record', base: RECORD, fast: fastChecks.record, read: readImageRecord, zod: ImageRecord },
  { name: 'index', base: INDEX, fast: fastChecks.index, read: readIndexFile, zod: IndexFile },
  { name: 'config', base: CONFIG, fast: fastChecks.config, read: readConfigFile, zod: ConfigFile },
  { name: 'config, no optional fields', base: { rootfs: { type: 'layers', diff_ids: [] } }, fast: fastChecks.config, read: readConfigFile, zod: ConfigFile },
  { name: 'config, null config', base: { ...CONFIG, config: null }, fast: fastChecks.config, read: readConfigFile, zod: ConfigFile },
  { name: 'record without manifest digest', base: { v: 1, id: D('c'), layers: [], loadedAt: 'x' }, fast: fastChecks.record, read: readImageRecord, zod: ImageRecord },
] as const;

/** every path to a value in x (objects and arrays), the root included */
function paths(x: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) out.push(...paths(v, [...at, Array.isArray(x) ? Number(k) : k]));
  return out;
}
function withValue(base: unknown, path: (string | number)[], v: unknown, del = false): unknown {
  const copy = structuredClone(base) as Record<string | number, unknown>;
  if (path.length === 0) return v;
  let o = copy;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (del) { if (Array.isArray(o)) o.splice(last as number, 1); else delete o[last]; } else o[last] = v;
  return copy;
}

let fastAccepted = 0, total = 0;
function agree(t: Test, c: (typeof cases)[number], input: unknown, what: string): void {
  total++;
  const fast = (c.fast as (x: unknown) => unknown)(input);
  const z = c.zod.safeParse(input);
  const r = (c.read as (x: unknown) => { success: boolean; data?: unknown; error?: { issues: unknown[] } })(input);
  if (fast !== undefined) {
    fastAccepted++;
    if (!z.success || JSON.stringify(fast) !== JSON.stringify(z.data)) t.fail(`${c.name} ${what}: the check accepted what zod ${z.success ? 'returns differently' : 'rejects'}`);
  }
  // what the store sees is zod's verdict, and zod's output or issues
  if (r.success !== z.success) t.fail(`${c.name} ${what}: success ${r.success}, zod ${z.success}`);
  else if (z.success && JSON.stringify(r.data) !== JSON.stringify(z.data)) t.fail(`${c.name} ${what}: data differs from zod's`);
  else if (!z.success && JSON.stringify(r.error!.issues) !== JSON.stringify(z.error.issues)) t.fail(`${c.name} ${what}: issues differ from zod's`);
}

t.test('valid records are taken by the checks, with zod\'s output', async (t) => {
  for (const c of cases) {
    const fast = (c.fast as (x: unknown) => unknown)(c.base);
    t.not(fast, undefined, `${c.name}: accepted without zod`);
    t.equal(JSON.stringify(fast), JSON.stringify(c.zod.parse(c.base)), `${c.name}: same keys, order and values as zod`);
  }
  // key order of a loose object: the shape's keys first, then the rest in input order (zod's)
  t.same(Object.keys(fastChecks.config(CONFIG)!), ['architecture', 'os', 'variant', 'created', 'author', 'config', 'rootfs', 'history', 'zz', 'x-extra']);
  // unknown keys of a strict object are dropped, as zod drops them
  t.same(Object.keys(fastChecks.record({ ...RECORD, extra: 1 })!), ['v', 'id', 'layers', 'manifestDigest', 'loadedAt']);
});

t.test('every field replaced or removed: the checks agree with zod', async (t) => {
  for (const c of cases) {
    for (const p of paths(c.base)) {
      agree(t, c, withValue(c.base, p, undefined, true), `without ${p.join('.')}`);
      for (const v of VALUES) agree(t, c, withValue(c.base, p, v), `${p.join('.')} = ${JSON.stringify(v)}`);
      const at = p.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], c.base);
      if (at && typeof at === 'object' && !Array.isArray(at)) agree(t, c, withValue(c.base, [...p, 'extra'], 1), `extra key under ${p.join('.')}`);
      // JSON.parse makes __proto__ an own key; zod drops it from its output (left to zod)
      agree(t, c, withValue(c.base, p, JSON.parse('{"__proto__": {"polluted": 1}, "type": "layers", "diff_ids": []}')), `__proto__ object at ${p.join('.')}`);
    }
  }
  t.ok(fastAccepted > 0 && fastAccepted < total, `some mutations taken by the checks (${fastAccepted} of ${total}), others left to zod`);
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was changed');
});

t.test('random mutations: the checks agree with zod', async (t) => {
  let seed = 12345;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
  for (let i = 0; i < 3000; i++) {
    const c = cases[rnd(cases.length)]!;
    let x: unknown = c.base;
    for (let k = 1 + rnd(3); k > 0; k--) {
      const ps = paths(x);
      const p = ps[rnd(ps.length)]!;
      x = rnd(4) === 0 ? withValue(x, p, undefined, true) : withValue(x, p, VALUES[rnd(VALUES.length)]);
    }
    agree(t, c, x, `random #${i}`);
  }
  t.pass('3000 random inputs agree');
});

t.test('the store\'s error for a malformed config still names the field (zod\'s message)', async (t) => {
  const { parseConfig } = await import('../../image/record-read.js');
  t.throws(() => parseConfig(Buffer.from(JSON.stringify({ rootfs: { type: 'layers', diff_ids: ['sha256:12'] } })), 'blob'), { code: 'TSS_EARCHIVE', message: /read config `?blob`?: rootfs\.diff_ids\.0: not a sha256 digest/ });
  t.throws(() => parseConfig(Buffer.from('{'), 'blob'), { code: 'TSS_EARCHIVE', message: /not JSON/ });
});
