// test/network/stream.test.ts — the TCP proxy carries bytes exactly: 4 MiB echoed with half-close, 16 parallel 4 MiB downloads (tests, root)
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import type { Member } from '../helpers/image-archives.js';
import { Sandbox } from '../helpers/sandbox.js';
import { HostNs, rootOrToolsMissing } from './host-ns.js';

const skip = rootOrToolsMissing() || busyboxMissing();

// runs inside the host namespace. echo mode: each connection in turn sends its own random bytes,
// closes its write side, and must get exactly those bytes back (the inside server is `nc -e cat`,
// which answers until it sees EOF: a lost half-close hangs, a lost or reordered byte changes the
// digest; busybox nc's persistent listener drops connections that arrive together, so one at a
// time). get mode: 16 parallel HTTP GETs of the same file must all get it whole.
const CLIENT = `
const net = require('node:net'), { createHash, randomBytes } = require('node:crypto');
const [mode, portS, want] = process.argv.slice(1), port = Number(portS);
const digest = (b) => createHash('sha256').update(b).digest('hex');
function round(send) {
  return new Promise((resolve) => {
    const got = [];
    const s = net.connect(port, '127.0.0.1', () => s.end(send));
    s.on('data', (d) => got.push(d));
    s.on('error', () => {});
    s.on('close', () => resolve(Buffer.concat(got)));
  });
}
async function main() {
  let ok = 0;
  if (mode === 'echo') {
    for (let i = 0; i < 100 && (await round('x')).toString() !== 'x'; i++) await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 4; i++) { const data = randomBytes(4 << 20); if (digest(await round(data)) === digest(data)) ok++; }
    console.log(ok + '/4');
  } else {
    const bodies = await Promise.all(Array.from({ length: 16 }, () => round('GET /big HTTP/1.0\\r\\n\\r\\n')));
    for (const b of bodies) { const i = b.indexOf('\\r\\n\\r\\n'); if (i > 0 && digest(b.subarray(i + 4)) === want) ok++; }
    console.log(ok + '/16');
  }
}
main();
`;

t.test('the TCP proxy carries bytes exactly, in parallel, with half-close', { skip }, async (t) => {
  const sb = new Sandbox('net-stream');
  const host = new HostNs('stream');
  t.teardown(() => { host.cli(sb, ['rm', '-f', 'echo']); host.cli(sb, ['rm', '-f', 'web']); host.remove(); sb.cleanup(); });
  await sb.importBusybox('busybox', ['nc', 'httpd'].map((a) => ({ name: `./bin/${a}`, type: 'symlink', linkname: 'busybox' })) as Member[]);
  const r = host.cli(sb, ['run', '-d', '--name', 'echo', '-p', '127.0.0.1:18292:7', 'busybox', 'nc', '-ll', '-p', '7', '-e', 'cat']);
  t.equal(r.code, 0, r.stderr);
  const c = spawnSync('nsenter', [`--net=${host.path}`, process.execPath, '-e', CLIENT, 'echo', '18292'], { encoding: 'utf8', timeout: 120_000 });
  t.equal(c.stdout, '4/4\n', `every connection got its own 4 MiB back after closing its write side ${c.stderr}`);

  const www = sb.path('www');
  mkdirSync(www);
  const big = randomBytes(4 << 20);
  writeFileSync(`${www}/big`, big);
  const w = host.cli(sb, ['run', '-d', '--name', 'web', '-p', '127.0.0.1:18293:80', '-v', `${www}:/www:ro`, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/www']);
  t.equal(w.code, 0, w.stderr);
  for (let i = 0; i < 100 && host.exec('busybox', ['wget', '-q', '-O/dev/null', 'http://127.0.0.1:18293/big']).code !== 0; i++) await new Promise((res) => setTimeout(res, 100));
  const g = spawnSync('nsenter', [`--net=${host.path}`, process.execPath, '-e', CLIENT, 'get', '18293', createHash('sha256').update(big).digest('hex')], { encoding: 'utf8', timeout: 120_000 });
  t.equal(g.stdout, '16/16\n', `16 parallel downloads of 4 MiB are whole ${g.stderr}`);
  t.equal(host.cli(sb, ['rm', '-f', 'web']).code, 0);
  t.equal(host.cli(sb, ['rm', '-f', 'echo']).code, 0);
  t.same(sb.leftovers(), []);
});
