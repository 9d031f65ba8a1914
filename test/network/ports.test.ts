// test/network/ports.test.ts — strict's network: loopback only, -p through the userland proxy (tcp, udp), port, --network checks, /etc files (tests, root)
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import type { Member } from '../helpers/image-archives.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { Sandbox } from '../helpers/sandbox.js';
import { HostNs, rootOrToolsMissing } from './host-ns.js';

const skip = rootOrToolsMissing() || busyboxMissing();

/** our proxies still running for this sandbox (their argv names the test's ports) */
const proxies = (port: number) => spawnSync('pgrep', ['-f', `portproxy .*:${port}:`], { encoding: 'utf8' }).stdout.trim();

t.test('strict: -p publishes through the proxy, the container keeps only its loopback', { skip }, async (t) => {
  const sb = new Sandbox('net-ports');
  const host = new HostNs('ports');
  t.teardown(() => { for (const n of ['web', 'dns', 'busy']) host.cli(sb, ['rm', '-f', n]); host.remove(); sb.cleanup(); });
  const udpecho = sb.path('udpecho');
  const cc = spawnSync('cc', ['-O2', '-static', '-o', udpecho, `${REPO_ROOT}/test/network/fixtures/udpecho.c`], { encoding: 'utf8' });
  t.equal(cc.status, 0, cc.stderr);
  const applets: Member[] = ['httpd', 'nc', 'wget', 'ip', 'sleep', 'hostname'].map((a) => ({ name: `./bin/${a}`, type: 'symlink', linkname: 'busybox' }));
  await sb.importBusybox('busybox', [...applets, { name: './bin/udpecho', data: readFileSync(udpecho), mode: 0o755 }]);
  const www = sb.path('www');
  mkdirSync(www);
  writeFileSync(`${www}/index.html`, 'published through the proxy\n');
  const linksBefore = host.links();

  const web = host.cli(sb, ['run', '-d', '--name', 'web', '-p', '127.0.0.1:18080:80', '-v', `${www}:/www:ro`, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/www']);
  t.equal(web.code, 0, web.stderr);
  // strict runs without capabilities: port 80 binds only because ip_unprivileged_port_start is 0 inside
  let got = '';
  for (let i = 0; i < 50 && !got.includes('proxy'); i++) {
    got = host.exec('busybox', ['wget', '-q', '-O-', 'http://127.0.0.1:18080/']).stdout;
    if (!got) await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(got, 'published through the proxy\n', 'an HTTP fetch on the host port gets the file served on port 80 inside');
  t.equal(host.cli(sb, ['port', 'web']).stdout, '80/tcp -> 127.0.0.1:18080\n', 'port lists the mapping');
  t.equal(host.cli(sb, ['port', 'web', '80/tcp']).stdout, '127.0.0.1:18080\n');

  const dns = host.cli(sb, ['run', '-d', '--name', 'dns', '-p', '127.0.0.1:15353:53/udp', 'busybox', 'udpecho', 'serve', '53']);
  t.equal(dns.code, 0, dns.stderr);
  const ask = host.exec(udpecho, ['ask', '127.0.0.1', '15353', 'hello']);
  t.equal(ask.stdout, 'pong hello\n', 'a UDP datagram to the host port is answered from inside');

  const inside = host.cli(sb, ['run', '--rm', 'busybox', 'sh', '-c', 'cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "; if nc 127.0.0.1 18080 </dev/null; then echo reached; else echo refused; fi']);
  t.equal(inside.code, 0, inside.stderr);
  t.equal(inside.stdout, 'lo\nrefused\n', 'only lo inside; the host\'s 127.0.0.1:18080 (the proxy\'s listener) is not reachable from a container');

  const busy = host.cli(sb, ['run', '-d', '--name', 'busy', '-p', '127.0.0.1:18080:80', 'busybox', 'sleep', '100']);
  t.equal(busy.code, 125, 'a host port already taken fails the run');
  t.match(busy.stderr, /publish ports of `busybox`: bind tcp 127\.0\.0\.1:18080: Address (already )?in use/);
  t.equal(readdirSync(`${sb.root}/containers`).length, 2, 'and leaves no container record behind');

  t.equal(host.cli(sb, ['rm', '-f', 'web', 'dns']).code, 0);
  t.same(sb.leftovers(), [], 'no state dir, id range, cgroup or namespace mount left');
  t.equal(proxies(18080), '', 'no proxy left');
  t.equal(proxies(15353), '', 'no udp proxy left');
  t.same(host.links(), linksBefore, 'the host namespace\'s interfaces are unchanged');
});

t.test('--network checks and the /etc files per mode', { skip }, async (t) => {
  const sb = new Sandbox('net-modes');
  const host = new HostNs('modes');
  t.teardown(() => { host.remove(); sb.cleanup(); });
  await sb.importBusybox('busybox', [{ name: './bin/hostname', type: 'symlink', linkname: 'busybox' }]);

  const hostNet = host.cli(sb, ['run', '--rm', '--network', 'host', 'busybox', 'true']);
  t.equal(hostNet.code, 125);
  t.match(hostNet.stderr, /run `--network host`: refused by profile strict \(loosen\.networkHost at .*strict\.yaml:\d+\)/, 'strict refuses host naming its rule');
  const labNet = host.cli(sb, ['run', '--rm', '--network', 'lab', 'busybox', 'true']);
  t.match(labNet.stderr, /refused by profile strict \(loosen\.networkLab/, 'strict refuses a lab network naming its rule');
  const unconf = host.cli(sb, ['run', '--rm', '--profile', 'unconfined', '--network', 'host', 'busybox', 'sh', '-c', 'cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " " | sort | tr "\\n" " "']);
  t.equal(unconf.code, 0, unconf.stderr);
  t.equal(unconf.stdout.trim(), host.links().join(' '), 'unconfined with --network host sees the host namespace\'s interfaces');
  const both = host.cli(sb, ['run', '--rm', '--profile', 'unconfined', '--network', 'host', '-p', '8080:80', 'busybox', 'true']);
  t.equal(both.code, 125);
  t.match(both.stderr, /-p 8080:80`: published ports need a network namespace/);
  for (const bad of ['80000', '1-5:1-5', 'x:80', '80/sctp']) {
    const r = host.cli(sb, ['run', '--rm', '-p', bad, 'busybox', 'true']);
    t.equal(r.code, 125, `-p ${bad} is refused`);
    t.match(r.stderr, /^tssandbox: parse `-p /m);
  }

  const etc = host.cli(sb, ['run', '--rm', '--hostname', 'box1', '--add-host', 'db:10.1.2.3', '--dns', '192.0.2.53', 'busybox', 'sh', '-c', 'hostname; cat /etc/hostname /etc/hosts /etc/resolv.conf']);
  t.equal(etc.code, 0, etc.stderr);
  t.match(etc.stdout, /^box1\nbox1\n127\.0\.0\.1\tlocalhost\n/);
  t.match(etc.stdout, /127\.0\.1\.1\tbox1\n/);
  t.match(etc.stdout, /10\.1\.2\.3\tdb\n/);
  t.match(etc.stdout, /nameserver 192\.0\.2\.53\n$/);
  t.same(sb.leftovers(), []);
});
