// test/sandbox/run-scan.test.ts — run --scan warn reports, --scan enforce refuses an image with a high or critical finding (tests, root)
import { generateKeyPairSync } from 'node:crypto';
import t from 'tap';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import { rootMissing, Sandbox } from '../helpers/sandbox.js';

const skip = rootMissing() || busyboxMissing();
if (skip) t.plan(0, skip);
else {
  const sb = new Sandbox('scan');
  t.teardown(() => sb.cleanup());
  await sb.importBusybox('clean');
  // a private key made now, never committed: what a careless image ships in /root/.ssh
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  await sb.importBusybox('leaky', [{ name: './root/', type: 'directory' }, { name: './root/.ssh/', type: 'directory' }, { name: './root/.ssh/id_rsa', data: key, mode: 0o600 }]);

  t.test('--scan warn reports and runs', async (t) => {
    const r = sb.cli(['run', '--rm', '--scan', 'warn', 'leaky', 'true']);
    t.equal(r.code, 0, r.stderr);
    const m = /scan of leaky:latest: (\d+) critical, (\d+) high/.exec(r.stderr);
    t.ok(m && Number(m[1]) + Number(m[2]) > 0, `the summary counts the key as critical or high: ${r.stderr.trim()}`);
  });

  t.test('--scan enforce refuses an image with a high or critical finding and leaves nothing', async (t) => {
    const r = sb.cli(['run', '--rm', '--scan', 'enforce', 'leaky', 'true']);
    t.equal(r.code, 125);
    t.match(r.stderr, /run `leaky:latest`: refused by --scan enforce/);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    t.same(sb.leftovers(), []);
  });

  t.test('--scan enforce runs a clean image; a bad mode is refused', async (t) => {
    t.equal(sb.cli(['run', '--rm', '--scan', 'enforce', 'clean', 'true']).code, 0);
    const bad = sb.cli(['run', '--rm', '--scan', 'maybe', 'clean', 'true']);
    t.equal(bad.code, 125);
    t.match(bad.stderr, /--scan maybe.*expected off, warn or enforce/);
  });
}
