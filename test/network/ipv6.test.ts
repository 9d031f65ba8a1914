// test/network/ipv6.test.ts — network create --ipv6 [--subnet6]: members get an address in the /64 (ULA by default) and reach each other over IPv6, by address and by name (tests, root)
import { mkdirSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { addr6, parseSubnet6, subnet6, ulaPrefix } from '../../sandbox/network/ipv6.js';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import type { Member } from '../helpers/image-archives.js';
import { Sandbox } from '../helpers/sandbox.js';
import { HostNs, rootOrToolsMissing } from './host-ns.js';

const skip = rootOrToolsMissing() || busyboxMissing();
const applets: Member[] = ['httpd', 'wget', 'ip', 'ping', 'sleep', 'cat'].map((a) => ({ name: `./bin/${a}`, type: 'symlink', linkname: 'busybox' }));

t.test('parsing --subnet6 and the ULA default', async (t) => {
  t.equal(parseSubnet6('fd00:89:1::/64'), 'fd00:89:1:0');
  t.equal(addr6('fd00:89:1:0', 2), 'fd00:89:1::2');
  t.equal(subnet6('fd00:0:0:5'), 'fd00:0:0:5::/64');
  t.equal(addr6('fd00:0:0:5', 0x1ff), 'fd00:0:0:5::1ff');
  t.equal(parseSubnet6('FD00:0089:0001:0002:0:0:0:0/64'), 'fd00:89:1:2');
  t.throws(() => parseSubnet6('fd00::/48'), /--subnet6 fd00::\/48`: the prefix must be \/64/);
  t.throws(() => parseSubnet6('10.0.0.0/64'), /expected an IPv6 CIDR/);
  t.match(ulaPrefix('a'.repeat(64)), /^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:0$/);
});

t.test('IPv6 on a lab network', { skip }, async (t) => {
  const sb = new Sandbox('net-ipv6');
  const host = new HostNs('ipv6');
  t.teardown(() => {
    for (const n of ['v6srv', 'v6peer']) host.cli(sb, ['rm', '-f', n]);
    host.cli(sb, ['network', 'rm', '-f', 'six', 'ula']);
    host.remove(); sb.cleanup();
  });
  await sb.importBusybox('busybox', applets);
  const www = sb.path('www');
  mkdirSync(www);
  writeFileSync(`${www}/index.html`, 'over v6\n');
  t.match(host.cli(sb, ['network', 'create', '--subnet6', 'fd00:89:2::/64', 'bad']).stderr, /--subnet6 fd00:89:2::\/64`: needs --ipv6/);
  t.equal(host.cli(sb, ['network', 'create', '--subnet', '10.89.82.0/24', '--ipv6', '--subnet6', 'fd00:89:2::/64', 'six']).code, 0);
  t.equal(host.cli(sb, ['network', 'create', '--ipv6', 'ula']).code, 0);
  const ula = JSON.parse(host.cli(sb, ['network', 'inspect', 'ula']).stdout) as { EnableIPv6: boolean; IPAM: { Config: { Subnet: string }[] } }[];
  t.ok(ula[0]!.EnableIPv6);
  t.match(ula[0]!.IPAM.Config[1]!.Subnet, /^fd[0-9a-f]{2}:[0-9a-f:]+::\/64$/, 'a ULA /64 by default');

  const srv = host.cli(sb, ['run', '-d', '--profile', 'lab', '--name', 'v6srv', '--network', 'six', '-v', `${www}:/www:ro`, 'busybox', 'httpd', '-f', '-p', '[::]:80', '-h', '/www']);
  t.equal(srv.code, 0, srv.stderr);
  const ins = JSON.parse(host.cli(sb, ['network', 'inspect', 'six']).stdout) as { Containers: Record<string, { IPv6Address: string }> }[];
  t.same(Object.values(ins[0]!.Containers).map((c) => c.IPv6Address), ['fd00:89:2::2/64'], 'the host number of its IPv4 address');
  const peer = host.cli(sb, ['run', '--rm', '--profile', 'lab', '--name', 'v6peer', '--network', 'six', 'busybox', 'sh', '-c',
    'ip -o -6 addr show dev eth0 scope global; wget -q -O- http://[fd00:89:2::2]/; ping -6 -c 1 -W 3 v6srv >/dev/null && echo pinged v6srv over v6; grep v6srv /etc/hosts']);
  t.equal(peer.code, 0, peer.stderr);
  t.match(peer.stdout, /eth0\s+inet6 fd00:89:2::3\/64/, 'the second member gets ::3');
  t.match(peer.stdout, /over v6\npinged v6srv over v6\n/, 'members reach each other over IPv6, by address and by name');
  t.match(peer.stdout, /10\.89\.82\.2\tv6srv\nfd00:89:2::2\tv6srv\n/, '/etc/hosts has both addresses');
  t.equal(host.cli(sb, ['rm', '-f', 'v6srv']).code, 0);
  t.equal(host.cli(sb, ['network', 'rm', 'six', 'ula']).code, 0);
  t.same(sb.leftovers(), [], 'nothing left behind');
});
