// test/scan/sarif.test.ts — `--format sarif` validated against the vendored SARIF 2.1.0 schema subset (host, root)
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanImage, renderSarif } from '../../image/scan/index.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { rnd } from './corpus.js';
import { isRoot, ROOT_REASON, storeWith } from './fixtures.js';
import { validate } from './json-schema.js';

const skip = !isRoot && ROOT_REASON;
const SCHEMA = JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/sarif/sarif-2.1.0-subset.schema.json'), 'utf8')) as Record<string, unknown>;
const EICAR = ['X5O!P%@AP[4\\PZX54(P^)7CC)7}$', 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'].join('');

t.test('the validator itself rejects what the schema forbids', async (t) => {
  const good = { version: '2.1.0', runs: [{ tool: { driver: { name: 'x', rules: [{ id: 'a' }] } }, results: [{ ruleId: 'a', level: 'error', message: { text: 'm' }, locations: [{ physicalLocation: { artifactLocation: { uri: 'a/b%20c' }, region: { startLine: 1 } } }] }] }] };
  t.same(validate(SCHEMA, good), []);
  const bad: Array<[string, (g: typeof good) => unknown]> = [
    ['no version', (g) => ({ runs: g.runs })],
    ['wrong version', (g) => ({ ...g, version: '2.0.0' })],
    ['no tool name', (g) => ({ ...g, runs: [{ ...g.runs[0], tool: { driver: {} } }] })],
    ['bad level', (g) => ({ ...g, runs: [{ ...g.runs[0], results: [{ ...g.runs[0]!.results[0], level: 'fatal' }] }] })],
    ['no message', (g) => ({ ...g, runs: [{ ...g.runs[0], results: [{ ruleId: 'a' }] }] })],
    ['message without text or id', (g) => ({ ...g, runs: [{ ...g.runs[0], results: [{ message: { markdown: 'x' } }] }] })],
    ['line 0', (g) => ({ ...g, runs: [{ ...g.runs[0], results: [{ message: { text: 'm' }, locations: [{ physicalLocation: { artifactLocation: { uri: 'a' }, region: { startLine: 0 } } }] }] }] })],
    ['unknown property', (g) => ({ ...g, runs: [{ ...g.runs[0], severity: 'high' }] })],
    ['physical location without artifact', (g) => ({ ...g, runs: [{ ...g.runs[0], results: [{ message: { text: 'm' }, locations: [{ physicalLocation: { region: { startLine: 1 } } }] }] }] })],
    ['duplicate rules', (g) => ({ ...g, runs: [{ ...g.runs[0], tool: { driver: { name: 'x', rules: [{ id: 'a' }, { id: 'a' }] } } }] })],
  ];
  for (const [name, make] of bad) t.not(validate(SCHEMA, make(structuredClone(good))).length, 0, `rejected: ${name}`);
});

t.test('scan output with every kind of finding is valid SARIF 2.1.0 (API and CLI)', { skip }, async (t) => {
  const { store, root } = await storeWith(t, [{
    tags: ['t/sarif:latest'],
    config: { Env: ['PATH=/bin', `AWS_SECRET_ACCESS_KEY=${rnd(40)}`], Labels: { 'ci.token': `glpat-${rnd(20)}` }, ExposedPorts: { '22/tcp': {} } },
    layers: [[
      { name: 'usr/bin/su', data: 'su', mode: 0o4755 },
      { name: 'srv/drop/', type: 'directory', mode: 0o777 },
      { name: 'srv/eicar.com', data: EICAR },
      { name: 'srv/my file #1.env', data: `\n\nDB_PASSWORD=${rnd(18)}\nstripe sk_live_${rnd(24)}\n` },
      { name: 'var/lib/dpkg/status', data: 'Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\n' },
    ]],
  }]);
  const r = await scanImage(store, 't/sarif:latest', { clamscan: false });
  t.ok(new Set(r.findings.map((f) => f.category)).size >= 4, `findings in ${[...new Set(r.findings.map((f) => f.category))].join(', ')}`);
  const log = JSON.parse(renderSarif(r)) as { runs: Array<{ results: Array<{ locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }> }> };
  t.same(validate(SCHEMA, log), [], 'API output is valid');
  t.equal(log.runs[0]!.results.length, r.findings.length, 'one result per finding');
  t.ok(log.runs[0]!.results.some((x) => x.locations[0]!.physicalLocation.artifactLocation.uri.endsWith('/srv/my%20file%20%231.env')), 'a path with spaces and # is percent-encoded');

  const cli = spawnSync('node', [join(REPO_ROOT, 'bin/tssandbox.js'), '--root', root, 'scan', 't/sarif:latest', '--no-clamav', '--format', 'sarif'], { encoding: 'utf8' });
  t.equal(cli.status, 0, cli.stderr);
  t.same(validate(SCHEMA, JSON.parse(cli.stdout)), [], 'CLI output is valid');

  const empty = await storeWith(t, [{ tags: ['t/empty:1'], config: { User: 'app' }, layers: [[{ name: 'srv/readme', data: 'hello\n' }]] }]);
  t.same(validate(SCHEMA, JSON.parse(renderSarif(await scanImage(empty.store, 't/empty:1', { clamscan: false })))), [], 'a log with (almost) no results is valid too');
});
