// test/scan/image.test.ts — scanImage on built images: every layer, Env/Labels/history, modes, EICAR, precision/recall, SARIF, CLI exit codes (host, root)
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanImage, exceeds, renderSarif, renderTable, type Finding } from '../../image/scan/index.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { decoys, positives, rnd } from './corpus.js';
import { isRoot, ROOT_REASON, storeWith } from './fixtures.js';

const skip = !isRoot && ROOT_REASON;
const EICAR = ['X5O!P%@AP[4\\PZX54(P^)7CC)7}$', 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'].join('');
const secretsOf = (fs: readonly Finding[]): Finding[] => fs.filter((f) => f.category === 'secrets');

t.test('a secret in layer 1 deleted in layer 2 is still found, with layer 1 diff id; overwritten too', { skip }, async (t) => {
  const tok = `ghp_${rnd(36)}`;
  const pw = rnd(16);
  const { store } = await storeWith(t, [{
    tags: ['t/del:1'], config: { User: 'app', Env: ['PATH=/bin'] },
    layers: [
      [{ name: 'app/token.txt', data: `token ${tok}\n` }, { name: 'app/.env', data: `DB_PASSWORD=${pw}\n` }],
      [{ name: 'app/.wh.token.txt' }, { name: 'app/.env', data: 'DB_PASSWORD=${DB_PASSWORD}\n' }],
    ],
  }]);
  const r = await scanImage(store, 't/del:1', { clamscan: false });
  const s = secretsOf(r.findings);
  t.equal(s.length, 2, 'two secrets, both from layer 1');
  for (const f of s) t.equal(f.layer, r.image.diffIds[0], `${f.rule} in layer 1`);
  t.same(s.map((f) => f.path).sort(), ['app/.env', 'app/token.txt']);
  t.notOk(JSON.stringify(r).includes(tok) || JSON.stringify(r).includes(pw), 'report never holds a full secret');
  t.notOk(renderTable(r).includes(tok.slice(8)), 'table neither');
});

t.test('Env, Labels and history secrets; config defects; setuid; world-writable; EICAR; hash list', { skip }, async (t) => {
  const aws = rnd(40);
  const { store, dir } = await storeWith(t, [{
    tags: ['t/cfg:latest'],
    config: { Env: ['PATH=/bin', `AWS_SECRET_ACCESS_KEY=${aws}`], Labels: { 'ci.token': `glpat-${rnd(20)}` }, ExposedPorts: { '22/tcp': {}, '80/tcp': {} } },
    layers: [[
      { name: 'usr/bin/su', data: 'su', mode: 0o4755 },
      { name: 'usr/bin/wall', data: 'wall', mode: 0o2755, gid: 5 },
      { name: 'srv/drop/', type: 'directory', mode: 0o777 },
      { name: 'tmp/', type: 'directory', mode: 0o1777 },
      { name: 'usr/sbin/sshd', data: 'sshd' },
      { name: 'srv/eicar.com', data: `${EICAR}\r\n` },
      { name: 'srv/notes.txt', data: `this file mentions ${EICAR} inside a longer text, which is not the test file\n` },
      { name: 'srv/bad.bin', data: 'malicious payload' },
    ]],
  }]);
  const hashes = join(dir, 'hashes.txt');
  writeFileSync(hashes, `# known bad\n${createHash('sha256').update('malicious payload').digest('hex')}  bad-thing\n`);
  const r = await scanImage(store, 't/cfg:latest', { clamscan: false, malwareHashes: hashes });
  const rules = (cat: string): string[] => r.findings.filter((f) => f.category === cat).map((f) => `${f.rule} ${f.path}`).sort();
  t.same(secretsOf(r.findings).map((f) => `${f.rule} ${f.path}`).sort(), ['secret.aws-secret-access-key config:Env', 'secret.gitlab-pat config:Labels']);
  t.same(rules('configuration'), [
    'config.latest-tag ref', 'config.remote-access-port config:ExposedPorts', 'config.remote-shell-daemon usr/sbin/sshd',
    'config.root-user config:User', 'config.secret-env-name config:Env', 'config.setgid-file usr/bin/wall', 'config.setuid-file usr/bin/su',
    'config.world-writable-dir srv/drop',
  ]);
  t.same(rules('malware'), ['malware.eicar srv/eicar.com', 'malware.hash-list srv/bad.bin']);
  t.same(rules('trust'), ['trust.tag-not-digest ref']);
  for (const f of r.findings) t.match(f.nist, /^3\.1\.[1-5]\/4\.1\.[1-5]$/, `${f.rule} cites NIST SP 800-190`);
  t.match(r.notes.join('\n'), /ClamAV: disabled/);
  t.ok(exceeds(r, 'critical'));
  const trusted = await scanImage(store, r.image.id, { clamscan: false, trustedDigests: [r.image.id] });
  t.same(trusted.findings.filter((f) => f.category === 'trust'), [], 'by id and trusted: no trust finding');
});

t.test('labelled corpus in an image: precision and recall ≥ 0.9', { skip }, async (t) => {
  const pos = positives();
  const dec = decoys();
  // each sample in its own file; a third of the positives are deleted by layer 2
  const at = (i: number, p: string): string => `corpus/${i}/${p}`;
  const layer1 = [...pos.map((p, i) => ({ name: at(i, p.path), data: p.text })), ...dec.map((d, i) => ({ name: at(1000 + i, d.path), data: d.text }))];
  const layer2 = pos.flatMap((p, i) => (i % 3 === 0 ? [{ name: at(i, p.path).replace(/[^/]+$/, (b) => `.wh.${b}`) }] : []));
  const envTok = `xoxb-${rnd(12, '0123456789')}-${rnd(13, '0123456789')}-${rnd(24)}`;
  const { store } = await storeWith(t, [{ tags: ['t/corpus:1'], config: { User: '1000', Env: [`SLACK=${envTok}`] }, layers: [layer1, layer2] }]);
  const r = await scanImage(store, 't/corpus:1', { clamscan: false });
  const found = secretsOf(r.findings);
  let tp = 0;
  for (const [i, p] of pos.entries()) {
    const hit = found.some((f) => f.path === at(i, p.path) && f.rule === `secret.${p.rule}` && f.layer === r.image.diffIds[0]);
    t.ok(hit, `planted ${p.rule}${i % 3 === 0 ? ' (deleted later)' : ''}`);
    if (hit) tp++;
  }
  const envHit = found.some((f) => f.path === 'config:Env' && f.rule === 'secret.slack-bot-token');
  t.ok(envHit, 'planted in ENV');
  const fp = found.filter((f) => f.path?.startsWith('corpus/1') && Number(f.path.split('/')[1]) >= 1000);
  const planted = pos.length + 1;
  const recall = (tp + (envHit ? 1 : 0)) / planted;
  const precision = (tp + (envHit ? 1 : 0)) / (tp + (envHit ? 1 : 0) + fp.length);
  t.comment(`corpus: ${planted} planted secrets of ${new Set(pos.map((p) => p.rule)).size} kinds, ${dec.length} decoys; precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)}`);
  t.ok(precision >= 0.9, `precision ${precision}`);
  t.ok(recall >= 0.9, `recall ${recall}`);
  t.same(fp.map((f) => `${f.rule} ${f.path}`), [], 'no decoy reported');
});

t.test('SARIF 2.1.0 structure and CLI exit codes', { skip }, async (t) => {
  const { store, root } = await storeWith(t, [{ tags: ['t/cli:1'], config: { User: 'app' }, layers: [[{ name: 'srv/k', data: `stripe sk_live_${rnd(24)}\n` }]] }]);
  const r = await scanImage(store, 't/cli:1', { clamscan: false });
  const sarif = JSON.parse(renderSarif(r)) as { version: string; $schema: string; runs: Array<{ tool: { driver: { name: string; rules: Array<{ id: string }> } }; results: Array<{ ruleId: string; ruleIndex: number; level: string; message: { text: string }; locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number } } }> }> }> };
  t.equal(sarif.version, '2.1.0');
  t.match(sarif.$schema, /sarif-2\.1\.0/);
  const run = sarif.runs[0]!;
  t.ok(run.tool.driver.name);
  const ids = run.tool.driver.rules.map((x) => x.id);
  for (const res of run.results) {
    t.equal(ids[res.ruleIndex], res.ruleId, 'ruleIndex points at its rule');
    t.ok(['error', 'warning', 'note', 'none'].includes(res.level));
    t.ok(res.message.text.length > 0);
  }
  const stripe = run.results.find((x) => x.ruleId === 'secret.stripe-secret-key')!;
  t.equal(stripe.locations[0]!.physicalLocation.artifactLocation.uri, `layer/${r.image.diffIds[0]}/srv/k`);
  t.equal(stripe.locations[0]!.physicalLocation.region!.startLine, 1);

  const cli = (...args: string[]) => spawnSync('node', [join(REPO_ROOT, 'bin/tssandbox.js'), '--root', root, 'scan', 't/cli:1', '--no-clamav', ...args], { encoding: 'utf8' });
  t.equal(cli('--fail-on', 'critical').status, 1, 'critical secret → exit 1');
  t.equal(cli('--fail-on', 'high').status, 1);
  const clean = await storeWith(t, [{ tags: ['t/clean:1'], config: { User: 'app' }, layers: [[{ name: 'srv/readme', data: 'hello\n' }]] }]);
  const cleanCli = (...args: string[]) => spawnSync('node', [join(REPO_ROOT, 'bin/tssandbox.js'), '--root', clean.root, 'scan', 't/clean:1', '--no-clamav', ...args], { encoding: 'utf8' });
  t.equal(cleanCli('--fail-on', 'low').status, 0, 'only an info finding (tag, not digest): --fail-on low passes');
  t.equal(cleanCli('--fail-on', 'info').status, 1, '--fail-on info fails on it');
  t.equal(cleanCli().status, 0, 'no --fail-on: exit 0');
  const json = JSON.parse(cleanCli('--format', 'json').stdout) as { findings: Finding[] };
  t.same(json.findings.map((f) => f.rule), ['trust.tag-not-digest']);
  t.equal(cleanCli('--fail-on', 'bogus').status, 125, 'bad severity → 125');
  t.equal(spawnSync('node', [join(REPO_ROOT, 'bin/tssandbox.js'), '--root', clean.root, 'scan', 'no/such:image'], { encoding: 'utf8' }).status, 125, 'unknown image → 125');
});
