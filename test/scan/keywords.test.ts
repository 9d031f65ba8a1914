// test/scan/keywords.test.ts — the one-pass keyword prefilter agrees with toLowerCase().includes() (everywhere)
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { KeywordSet } from '../../image/scan/keywords.js';
import { SECRET_RULES } from '../../image/scan/secrets.js';

t.test('every rule keyword: same answer as lower.includes on random and planted text', async (t) => {
  const kws = [...new Set(SECRET_RULES.flatMap((r) => r.keywords))];
  const set = new KeywordSet(kws);
  const texts = [
    randomBytes(64 * 1024).toString('latin1'),
    randomBytes(48 * 1024).toString('base64'),
    kws.filter((_, i) => i % 3 === 0).map((k) => k.toUpperCase()).join(' filler '),
    `prefix ${kws.slice(-5).join('\n')} \u212Aey suffix`, // KELVIN SIGN lower-cases to "k"
    '',
  ];
  for (const [n, text] of texts.entries()) {
    const lower = text.toLowerCase();
    const want = kws.map((k) => (lower.includes(k) ? 1 : 0));
    t.same([...set.present(text)], want, `text ${n}: ${want.filter(Boolean).length} keywords present`);
  }
  const overlap = new KeywordSet(['he', 'she', 'hers', 'his']);
  const seen: string[] = [];
  overlap.scan('uSHErs', (id, end) => seen.push(`${overlap.keywords[id]}@${end}`));
  t.same(seen.sort(), ['he@4', 'hers@6', 'she@4'], 'overlapping keywords all reported');
  t.throws(() => new KeywordSet(['Key']), /lower-case ASCII/);
});
