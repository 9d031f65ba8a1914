// test/network/dns.test.ts — names and resolv.conf per network mode: a lab network's resolver answers busybox nslookup for members as they join and leave; upstream DNS only with egress; none has no nameserver (tests, root)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { labResolv } from '../../sandbox/network/dns.js';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import type { Member } from '../helpers/image-archives.js';
import { Sandbox } from '../helpers/sandbox.js';
import { PACKAGE_ROOT } from '../../sandbox/paths.js';
import { addWorld, HostNs, rootOrToolsMissing } from './host-ns.js';

const LABDNS = `${PACKAGE_ROOT}/build/labdns`;
const skip = rootOrToolsMissing() || busyboxMissing() || (!existsSync(LABDNS) && 'build/labdns not built (npm run build)');
const applets: Member[] = ['nslookup', 'ping', 'sleep', 'cat'].map((a) => ({ name: `./bin/${a}`, type: 'symlink', linkname: 'busybox' }));
const alive = (pid: number) => { try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'labdns'; } catch { return false; } };

t.test('labResolv: the resolver first, upstream only where egress reaches', async (t) => {
  const host = 'search example.org\nnameserver 192.0.2.53\nnameserver 198.51.100.1\noptions ndots:2\n';
  t.equal(labResolv(host, '10.89.1.1', 'all'), 'nameserver 10.89.1.1\nnameserver 192.0.2.53\nnameserver 198.51.100.1\nsearch example.org\noptions ndots:2\n');
  t.equal(labResolv(host, '10.89.1.1', []), 'nameserver 10.89.1.1\nsearch example.org\noptions ndots:2\n');
  t.equal(labResolv(host, '10.89.1.1', [{ cidr: '192.0.2.0/24', port: 53, proto: 'udp' }, { cidr: '198.51.100.1/32', port: 53, proto: 'tcp' }]),
    'nameserver 10.89.1.1\nnameserver 192.0.2.53\nsearch example.org\noptions ndots:2\n', 'udp/53 must be allowed');
});

t.test('DNS on lab networks and per mode', { skip }, async (t) => {
  const sb = new Sandbox('net-dns');
  const host = new HostNs('dns');
  const worldDir = sb.path('world');
  mkdirSync(worldDir);
  const world = addWorld(host, worldDir);
  // "the world" has a nameserver of its own (our resolver binary, serving one name)
  const zone = sb.path('zone');
  writeFileSync(zone, '198.18.0.2 world.example\n# end\n');
  const wdns = spawn('nsenter', [`--net=${world.ns.path}`, LABDNS, '198.18.0.2', zone], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => wdns.stdout!.once('data', r));
  t.teardown(() => {
    wdns.kill('SIGKILL');
    for (const n of ['victim', 'peer']) host.cli(sb, ['rm', '-f', n]);
    host.cli(sb, ['network', 'rm', '-f', 'dnsnet']);
    world.remove(); host.remove(); sb.cleanup();
  });
  await sb.importBusybox('busybox', applets);
  t.equal(host.cli(sb, ['network', 'create', 'dnsnet', '--subnet', '10.89.79.0/24']).code, 0);
  const victim = host.cli(sb, ['run', '-d', '--profile', 'lab', '--name', 'victim', '--network', 'dnsnet', 'busybox', 'sleep', '300']);
  t.equal(victim.code, 0, victim.stderr);
  const pid = Number(readFileSync(`${sb.runRoot}/networks/dnsnet/dns.pid`, 'utf8'));
  t.ok(alive(pid), 'the network has its resolver');
  t.equal(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)?.[1], '65534', 'which runs as nobody');

  const look = host.cli(sb, ['run', '--rm', '--profile', 'lab', '--network', 'dnsnet', '--dns', '198.18.0.2', 'busybox', 'sh', '-c',
    'cat /etc/resolv.conf; nslookup victim; ping -c 1 -W 2 victim >/dev/null && echo pinged by name; nslookup world.example 198.18.0.2 >/dev/null 2>&1 || echo no upstream']);
  t.equal(look.code, 0, look.stderr);
  t.match(look.stdout, /^nameserver 10\.89\.79\.1\n(?!nameserver)/, 'lab (egress none): the network\'s resolver only, --dns 198.18.0.2 left out');
  t.match(look.stdout, /Name:\s+victim\nAddress:\s+10\.89\.79\.2\n/, 'busybox nslookup finds a member by name');
  t.match(look.stdout, /pinged by name\n/);
  t.match(look.stdout, /no upstream\n$/, 'no outbound DNS without egress, even to a server named on the command line');

  // libc moves on to the next nameserver when ours answers REFUSED (busybox nslookup asks only the first)
  const out = host.cli(sb, ['run', '--rm', '--profile', 'default', '--network', 'dnsnet', '--dns', '198.18.0.2', 'busybox', 'sh', '-c', 'cat /etc/resolv.conf; ping -c 1 -W 2 world.example; nslookup victim']);
  t.equal(out.code, 0, out.stderr);
  t.match(out.stdout, /^nameserver 10\.89\.79\.1\nnameserver 198\.18\.0\.2\n/, 'with egress: the upstream nameserver follows the network\'s');
  t.match(out.stdout, /PING world\.example \(198\.18\.0\.2\)/, 'outbound DNS with egress');
  t.match(out.stdout, /Name:\s+victim\nAddress:\s+10\.89\.79\.2\n/, 'members still by name');

  // names follow membership
  t.equal(host.cli(sb, ['run', '-d', '--profile', 'lab', '--name', 'peer', '--network', 'dnsnet', 'busybox', 'sleep', '300']).code, 0);
  t.match(host.cli(sb, ['exec', 'victim', 'nslookup', 'PEER']).stdout, /Name:\s+PEER\nAddress:\s+10\.89\.79\.3\n/, 'a later member resolves (any case)');
  t.equal(host.cli(sb, ['rm', '-f', 'peer']).code, 0);
  const gone = host.cli(sb, ['exec', 'victim', 'nslookup', 'peer']);
  t.not(gone.code, 0, 'a member that left no longer resolves');
  t.notMatch(gone.stdout, /10\.89\.79\.3/);

  // none: loopback only, no nameserver; --dns as given
  t.equal(host.cli(sb, ['run', '--rm', 'busybox', 'cat', '/etc/resolv.conf']).stdout, '', 'none: no nameserver');
  t.equal(host.cli(sb, ['run', '--rm', '--dns', '192.0.2.1', 'busybox', 'cat', '/etc/resolv.conf']).stdout, 'nameserver 192.0.2.1\n');
  t.equal(host.cli(sb, ['run', '--rm', '--dns', '192.0.2.1', '--dns-search', 'lab.example', '--dns-search', 'b.example', '--dns-option', 'ndots:2', 'busybox', 'cat', '/etc/resolv.conf']).stdout,
    'nameserver 192.0.2.1\nsearch lab.example b.example\noptions ndots:2\n', '--dns-search and --dns-option');
  const badSearch = host.cli(sb, ['run', '--rm', '--dns-search', 'a b', 'busybox', 'true']);
  t.equal(badSearch.code, 125);
  t.equal(badSearch.stderr, 'tssandbox: parse `--dns-search a b`: not a domain name\n');
  t.match(host.cli(sb, ['run', '--rm', '--profile', 'lab', '--network', 'dnsnet', '--dns-search', 'lab.example', 'busybox', 'cat', '/etc/resolv.conf']).stdout,
    /^nameserver 10\.89\.79\.1\nsearch lab\.example\n$/, 'kept on a lab network after the resolver');

  t.equal(host.cli(sb, ['rm', '-f', 'victim']).code, 0);
  for (let i = 0; i < 200 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  t.notOk(alive(pid), 'the resolver goes with the network\'s last member');
  t.same(sb.leftovers(), [], 'nothing left behind');
});
