// test/network/parse.test.ts — -p/-P parsing, subnets, --network profile checks (tests, pure)
import t from 'tap';
import { SandboxError } from '../../common/errors.js';
import type { Profile } from '../../policy/types.js';
import { numIp, parseSubnet } from '../../sandbox/network/lab.js';
import { checkNetwork } from '../../sandbox/network/mode.js';
import { formatPort, parsePublish, proxyArg, publishList } from '../../sandbox/network/ports.js';

t.test('parsePublish reads docker\'s -p forms', async (t) => {
  t.same(parsePublish('80'), { proto: 'tcp', hostIp: '0.0.0.0', hostPort: 0, ctrPort: 80 });
  t.same(parsePublish('8080:80'), { proto: 'tcp', hostIp: '0.0.0.0', hostPort: 8080, ctrPort: 80 });
  t.same(parsePublish('1026:1027/udp'), { proto: 'udp', hostIp: '0.0.0.0', hostPort: 1026, ctrPort: 1027 });
  t.same(parsePublish('127.0.0.1:8080:80/tcp'), { proto: 'tcp', hostIp: '127.0.0.1', hostPort: 8080, ctrPort: 80 });
  t.same(parsePublish('127.0.0.1::80'), { proto: 'tcp', hostIp: '127.0.0.1', hostPort: 0, ctrPort: 80 });
  t.same(parsePublish('[::1]:8080:80'), { proto: 'tcp', hostIp: '::1', hostPort: 8080, ctrPort: 80 });
  for (const bad of ['', '0', '65536', '80/sctp', 'a:80', '1.2.3:80:80', '300.1.1.1:80:80', '1-2:1-2', '1:2:3:4', '[::1:80:80']) {
    let err: unknown;
    try { parsePublish(bad); } catch (e) { err = e; }
    t.ok(err instanceof SandboxError && err.code === 'TSS_EUSAGE' && err.message.startsWith(`parse \`-p ${bad}\``), `-p ${bad} is refused: ${String(err)}`);
  }
});

t.test('publishList adds -P\'s exposed ports and refuses a host port twice', async (t) => {
  const l = publishList(['8080:80'], true, { '80/tcp': {}, '53/udp': {}, '443': {} });
  t.same(l.map(proxyArg).sort(), ['tcp:0.0.0.0:0:443', 'tcp:0.0.0.0:8080:80', 'udp:0.0.0.0:0:53'], '-P skips a port -p already maps');
  t.same(publishList([], false, { '80/tcp': {} }), [], 'without -P, EXPOSE publishes nothing');
  t.throws(() => publishList(['8080:80', '8080:81'], false, undefined), /published twice/);
  t.same(publishList(['8080:80', '8080:80/udp'], false, undefined).length, 2, 'tcp and udp on one port are two');
  t.equal(proxyArg(parsePublish('[::1]:1:2/udp')), 'udp:[::1]:1:2');
  t.equal(formatPort({ proto: 'tcp', hostIp: '0.0.0.0', hostPort: 8080, ctrPort: 80 }), '80/tcp -> 0.0.0.0:8080');
});

t.test('parseSubnet normalises and bounds', async (t) => {
  t.same(parseSubnet('10.89.3.7/24'), { base: 0x0a590300, bits: 24, text: '10.89.3.0/24' });
  t.equal(numIp(parseSubnet('192.168.0.0/16').base + 1), '192.168.0.1');
  for (const bad of ['10.0.0.0', '10.0.0.0/8', '10.0.0.0/30', '10.0.0.256/24', 'lab']) t.throws(() => parseSubnet(bad), /--subnet/, bad);
});

t.test('checkNetwork: the profile decides, and the refusal names its rule', async (t) => {
  const profile = (network: Profile['network'], host: boolean, lab: boolean): Profile => ({
    name: 'p', source: 'p.yaml', network, loosen: { networkHost: host, networkLab: lab }, sources: { 'loosen.networkHost': 'p.yaml:7', 'loosen.networkLab': 'p.yaml:8' },
  }) as unknown as Profile;
  const strict = profile('none', false, false);
  t.equal(checkNetwork(strict, undefined), 'none');
  t.equal(checkNetwork(strict, 'none'), 'none');
  t.throws(() => checkNetwork(strict, 'host'), /run `--network host`: refused by profile p \(loosen\.networkHost at p\.yaml:7\)/);
  t.throws(() => checkNetwork(strict, 'lab1'), /run `--network lab1`: refused by profile p \(loosen\.networkLab at p\.yaml:8\)/);
  t.equal(checkNetwork(profile('host', true, true), undefined), 'host', 'unconfined defaults to the host network');
  t.equal(checkNetwork(profile('lab', false, false), 'lab1'), 'lab1', 'lab joins a lab network by name');
  t.equal(checkNetwork(profile('lab', false, false), undefined), 'none', 'and has a namespace of its own without one');
  t.throws(() => checkNetwork(profile('lab', false, false), 'bridge'), /no default bridge/);
  t.throws(() => checkNetwork(profile('lab', false, false), '../x'), /not a network name/);
});
