// test/scan/clamav.test.ts — ClamAV's clamscan with self-made signature databases (.hsb hash, .ndb body), through the API and the CLI (host, root, clamav)
//
// No signature database can be downloaded here, so the test writes its own: a sha256 hash
// signature of one file and a body signature of bytes inside another; clamscan -d uses only those.
import t from 'tap';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanImage, type Finding } from '../../image/scan/index.js';
import { findClamscan } from '../../image/scan/malware.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { isRoot, ROOT_REASON, storeWith } from './fixtures.js';

const clam = findClamscan();
const skip = (!isRoot && ROOT_REASON) || (!clam && 'clamscan is not installed (apt-get install clamav)');
const PAYLOAD = 'tssandbox clamav test payload: a file the hash signature names\n';
const MARKER = 'TSS-CLAMAV-BODY-MARKER-7f3a9c';
const clamHits = (fs: readonly Finding[]): string[] => fs.filter((f) => f.rule === 'malware.clamav').map((f) => `${f.path} ${f.message}`).sort();

t.test('clamscan with a custom .hsb and .ndb database: both files found, in the right layers', { skip }, async (t) => {
  const { store, dir, root } = await storeWith(t, [{
    tags: ['t/clam:1'], config: { User: 'app' },
    layers: [
      [{ name: 'opt/payload.bin', data: PAYLOAD }, { name: 'opt/clean.txt', data: 'nothing to see\n' }],
      // the body signature sits in the middle of a larger file of a later layer, which also deletes the payload
      [{ name: 'srv/tool.sh', data: `#!/bin/sh\n${'echo filler\n'.repeat(200)}# ${MARKER}\nexit 0\n` }, { name: 'opt/.wh.payload.bin' }],
    ],
  }]);
  const hsb = join(dir, 'tss.hsb');
  writeFileSync(hsb, `${createHash('sha256').update(PAYLOAD).digest('hex')}:${Buffer.byteLength(PAYLOAD)}:Tss.Test.HashSig\n`);
  const ndb = join(dir, 'tss.ndb');
  writeFileSync(ndb, `Tss.Test.BodySig:0:*:${Buffer.from(MARKER).toString('hex')}\n`);

  const r = await scanImage(store, 't/clam:1', { clamDatabase: hsb });
  t.same(clamHits(r.findings), ['opt/payload.bin ClamAV: Tss.Test.HashSig.UNOFFICIAL'], 'hash signature: the deleted payload still ships');
  const f = r.findings.find((x) => x.rule === 'malware.clamav')!;
  t.equal(f.layer, r.image.diffIds[0]);
  t.equal(f.severity, 'critical');
  t.equal(f.nist, '3.1.3/4.1.3');
  t.match(r.notes.join('\n'), /ClamAV: used \(.*clamscan, database .*tss\.hsb\)/, 'the report says ClamAV was used');

  const b = await scanImage(store, 't/clam:1', { clamDatabase: ndb });
  t.same(clamHits(b.findings), ['srv/tool.sh ClamAV: Tss.Test.BodySig.UNOFFICIAL'], 'body signature');
  t.equal(b.findings.find((x) => x.rule === 'malware.clamav')?.layer, b.image.diffIds[1]);

  const off = await scanImage(store, 't/clam:1', { clamscan: false, clamDatabase: hsb });
  t.same(clamHits(off.findings), []);
  t.match(off.notes.join('\n'), /ClamAV: disabled/);

  // a broken database: named explicitly, the scan fails; found on PATH, it is a note
  const bad = join(dir, 'bad.ndb');
  writeFileSync(bad, 'not a signature\n');
  await t.rejects(scanImage(store, 't/clam:1', { clamscan: clam!, clamDatabase: bad }), { code: 'TSS_ESCAN' });
  const noted = await scanImage(store, 't/clam:1', { clamDatabase: bad });
  t.match(noted.notes.join('\n'), /ClamAV: clamscan failed/);

  const cli = spawnSync('node', [join(REPO_ROOT, 'bin/tssandbox.js'), '--root', root, 'scan', 't/clam:1', '--clamav-db', hsb, '--format', 'json', '--fail-on', 'critical'], { encoding: 'utf8' });
  t.equal(cli.status, 1, `--fail-on critical trips on the ClamAV hit: ${cli.stderr}`);
  t.same(clamHits((JSON.parse(cli.stdout) as { findings: Finding[] }).findings), ['opt/payload.bin ClamAV: Tss.Test.HashSig.UNOFFICIAL']);
});
