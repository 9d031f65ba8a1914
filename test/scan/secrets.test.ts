// test/scan/secrets.test.ts — every secret rule fires on its fresh random sample and on nothing else; decoys stay silent (pure)
import t from 'tap';
import { SECRET_RULES, scanText, entropy, redact, isPlaceholder } from '../../image/scan/index.js';
import { decoys, positives, rnd } from './corpus.js';

t.test('the rule table: 60+ rules, unique ids, keyword prefilters lower-case, every rule has a sample', async (t) => {
  t.ok(SECRET_RULES.length >= 60, `${SECRET_RULES.length} rules`);
  const ids = SECRET_RULES.map((r) => r.id);
  t.equal(new Set(ids).size, ids.length, 'ids are unique');
  for (const r of SECRET_RULES) {
    t.ok(r.keywords.length > 0 && r.keywords.every((k) => k === k.toLowerCase()), `${r.id}: lower-case keywords`);
    t.ok(r.regex.flags.includes('g'), `${r.id}: global regex`);
  }
  const sampled = new Set(positives().map((p) => p.rule));
  t.same(ids.filter((id) => !sampled.has(id)), [], 'no rule without a positive sample');
});

t.test('positives: each sample is found by its rule, only once, redacted', async (t) => {
  // several rounds: the samples are random, so a flaky threshold shows up here
  for (let round = 0; round < 5; round++) {
    for (const s of positives()) {
      const hits = scanText(s.text, { path: s.path });
      t.same(hits.map((h) => h.rule), [s.rule], `${s.rule} (round ${round})`);
      for (const h of hits) {
        t.match(h.value, /^.{1,4}\*\*\*\*$/, 'value redacted');
        t.ok(h.line >= 1, 'line number');
      }
    }
  }
});

t.test('decoys: placeholders, documentation keys, references, public keys and certificates are not secrets', async (t) => {
  for (let round = 0; round < 5; round++) {
    for (const d of decoys()) t.same(scanText(d.text, { path: d.path }), [], JSON.stringify(d.text.slice(0, 70)));
  }
});

t.test('line numbers, binary files, path-scoped rules', async (t) => {
  const tok = `ghp_${rnd(36)}`;
  const hits = scanText(`a\nb\nc\ntoken ${tok}\n`);
  t.equal(hits[0]?.line, 4);
  t.notOk(hits[0]?.value.includes(tok.slice(4)), 'never the full secret');
  const key = positives().find((p) => p.rule === 'private-key-openssh')!.text;
  const binary = `\u0000\u0001ELF${tok}\u0000${key}`;
  t.same(scanText(binary, { binary: true }).map((h) => h.rule), ['private-key-openssh'], 'binary: PEM blocks only');
  const netrcLike = `machine apt.corp.test login bob password ${rnd(12)}\n`;
  t.equal(scanText(netrcLike, { path: 'etc/apt/auth.conf' })[0]?.rule, 'apt-auth-conf');
  t.equal(scanText(netrcLike, { path: 'root/.netrc' })[0]?.rule, 'netrc');
  t.same(scanText(`password: ${rnd(12)}\n`, { path: 'x.txt' }).length, 1, 'generic rules are not scoped to file names');
});

t.test('entropy, redact, placeholders', async (t) => {
  t.equal(entropy('aaaa'), 0);
  t.equal(entropy('abcd'), 2);
  t.equal(redact('supersecretvalue'), 'supe****');
  t.ok(isPlaceholder('AKIAIOSFODNN7EXAMPLE'));
  t.ok(isPlaceholder('${TOKEN}'));
  t.ok(isPlaceholder('<your-password>'));
  t.notOk(isPlaceholder(rnd(20)));
});
