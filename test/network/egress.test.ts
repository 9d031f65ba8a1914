// test/network/egress.test.ts — a profile's egress on a lab network that is not internal: all (default), none (lab), a destination list; the per-container nft table goes with the container (tests, root)
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { loadProfileText } from '../../policy/index.js';
import { egressRules } from '../../sandbox/network/egress.js';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import type { Member } from '../helpers/image-archives.js';
import { Sandbox } from '../helpers/sandbox.js';
import { addWorld, HostNs, rootOrToolsMissing } from './host-ns.js';

const skip = rootOrToolsMissing() || busyboxMissing();
const applets: Member[] = ['wget', 'ping', 'sleep', 'ip'].map((a) => ({ name: `./bin/${a}`, type: 'symlink', linkname: 'busybox' }));
const WORLD = 'wget -q -O- http://198.18.0.2/ || echo unreachable';

t.test('the profile language: egress values and their errors', async (t) => {
  const p = loadProfileText('extends: lab\negress: [198.51.100.7, 203.0.113.9/24:443/tcp, 10.1.0.0/16:53]\n', 'x.yaml');
  t.same(p.egress, [{ cidr: '198.51.100.7/32' }, { cidr: '203.0.113.0/24', port: 443, proto: 'tcp' }, { cidr: '10.1.0.0/16', port: 53 }]);
  t.equal(loadProfileText('extends: default\n', 'y.yaml').egress, 'all', 'default allows all (Docker\'s bridge)');
  t.equal(loadProfileText('extends: lab\n', 'z.yaml').egress, undefined, 'lab: none');
  t.throws(() => loadProfileText('extends: lab\negress: [1.2.3.4/33]\n', 'bad.yaml'), /bad\.yaml:2.*egress\[0\].*not CIDR/);
  t.throws(() => loadProfileText('extends: lab\negress: [1.2.3.4:0]\n', 'bad.yaml'), /egress\[0\].*not a port number/);
  t.throws(() => loadProfileText('extends: lab\negress: some\n', 'bad.yaml'), /egress/);
  const r = egressRules('tvabc', '10.89.1.0/24', [{ cidr: '198.51.100.0/24', port: 53 }])!;
  t.match(r, /ip daddr 198\.51\.100\.0\/24 tcp dport 53 return\n\s+ip daddr 198\.51\.100\.0\/24 udp dport 53 return/, 'a port without a protocol allows both');
  t.equal(egressRules('tvabc', '10.89.1.0/24', 'all'), null);
});

t.test('egress per profile on a network that is not internal', { skip }, async (t) => {
  const sb = new Sandbox('net-egress');
  const host = new HostNs('egress');
  const worldDir = sb.path('world');
  mkdirSync(worldDir);
  writeFileSync(`${worldDir}/index.html`, 'hello from the world\n');
  const world = addWorld(host, worldDir);
  t.teardown(() => {
    host.cli(sb, ['rm', '-f', 'anchor']);
    host.cli(sb, ['network', 'rm', '-f', 'open']);
    world.remove(); host.remove(); sb.cleanup();
  });
  await sb.importBusybox('busybox', applets);
  const listed = sb.path('listed.yaml');
  writeFileSync(listed, 'extends: lab\negress: [198.18.0.2:80/tcp]\n');
  t.equal(host.cli(sb, ['network', 'create', 'open', '--subnet', '10.89.78.0/24']).code, 0);
  // a member that stays, so the network (and its namespace) outlives the short runs below
  const anchor = host.cli(sb, ['run', '-d', '--profile', 'default', '--name', 'anchor', '--network', 'open', 'busybox', 'sleep', '300']);
  t.equal(anchor.code, 0, anchor.stderr);
  const nsTables = () => execFileSync('nsenter', [`--net=${sb.runRoot}/networks/open/ns`, 'nft', 'list', 'tables'], { encoding: 'utf8' });

  const dflt = host.cli(sb, ['run', '--rm', '--profile', 'default', '--network', 'open', 'busybox', 'sh', '-c', WORLD]);
  t.equal(dflt.stdout, 'hello from the world\n', 'default (egress: all) reaches the world');

  const lab = host.cli(sb, ['run', '--rm', '--profile', 'lab', '--network', 'open', 'busybox', 'sh', '-c',
    `${WORLD}; ping -c 1 -W 2 198.18.0.2 >/dev/null && echo pinged || echo no ping; wget -q -O- http://anchor/ 2>&1 | grep -q refused && echo member reached`]);
  t.equal(lab.code, 0, lab.stderr);
  t.equal(lab.stdout, 'unreachable\nno ping\nmember reached\n', 'lab (egress: none) reaches the members but nothing beyond, by TCP or a raw socket');

  // NET_ADMIN cannot take the rule off: it is keyed on the bridge port outside the container's namespace
  const spoof = host.cli(sb, ['run', '--rm', '--profile', 'lab', '--network', 'open', 'busybox', 'sh', '-c',
    `ip addr flush dev eth0; ip addr add 10.89.78.200/24 dev eth0; ip route add default via 10.89.78.1; ip -o -4 addr show dev eth0; ${WORLD}`]);
  t.match(spoof.stdout, /inet 10\.89\.78\.200\/24/, 'the container did give itself another address (NET_ADMIN in its namespace)');
  t.match(spoof.stdout, /\nunreachable\n$/, 'another address does not get around it');

  const list = host.cli(sb, ['run', '--rm', '--profile', listed, '--network', 'open', 'busybox', 'sh', '-c',
    `${WORLD}; ping -c 1 -W 2 198.18.0.2 >/dev/null && echo pinged || echo no ping`]);
  t.equal(list.stdout, 'hello from the world\nno ping\n', 'a listed destination (198.18.0.2:80/tcp) is reached, other traffic to it is not');

  t.notMatch(nsTables(), /tse_/, 'no egress table left behind by the containers that left');
  const held = host.cli(sb, ['run', '-d', '--profile', 'lab', '--name', 'held', '--network', 'open', 'busybox', 'sleep', '300']);
  t.equal(held.code, 0, held.stderr);
  t.match(nsTables(), /table bridge tse_tv\w+\ntable inet tse_tv/, 'a running lab member has its tables');
  t.equal(host.cli(sb, ['rm', '-f', 'held']).code, 0);
  t.notMatch(nsTables(), /tse_/, 'rm -f removes it');
});
