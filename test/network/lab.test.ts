// test/network/lab.test.ts — lab networks: reach by name, isolation, --internal vs egress to "the world", the lab profile's NET_ADMIN/NET_RAW in its own netns, cleanup (tests, root)
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import type { Member } from '../helpers/image-archives.js';
import { Sandbox } from '../helpers/sandbox.js';
import { addWorld, HostNs, rootOrToolsMissing } from './host-ns.js';

const skip = rootOrToolsMissing() || busyboxMissing();
const applets: Member[] = ['httpd', 'nc', 'wget', 'ip', 'ping', 'sleep'].map((a) => ({ name: `./bin/${a}`, type: 'symlink', linkname: 'busybox' }));

t.test('lab networks', { skip }, async (t) => {
  const sb = new Sandbox('net-lab');
  const host = new HostNs('lab');
  const worldDir = sb.path('world');
  mkdirSync(worldDir);
  writeFileSync(`${worldDir}/index.html`, 'hello from the world\n');
  const world = addWorld(host, worldDir);
  t.teardown(() => {
    for (const n of ['victim', 'attacker', 'peer']) host.cli(sb, ['rm', '-f', n]);
    for (const n of ['lab', 'closed']) host.cli(sb, ['network', 'rm', '-f', n]);
    world.remove(); host.remove(); sb.cleanup();
  });
  await sb.importBusybox('busybox', applets);
  const www = sb.path('www');
  mkdirSync(www);
  writeFileSync(`${www}/index.html`, 'the victim\'s page\n');
  const linksBefore = host.links();
  const nftBefore = host.nftTables();

  const created = host.cli(sb, ['network', 'create', 'lab', '--subnet', '10.89.77.0/24']);
  t.equal(created.code, 0, created.stderr);
  t.match(created.stdout, /^[0-9a-f]{64}\n$/);
  t.match(host.cli(sb, ['network', 'ls']).stdout, /lab\s+10\.89\.77\.0\/24\s+false\s+0/);
  const dup = host.cli(sb, ['network', 'create', 'lab']);
  t.not(dup.code, 0, 'names are unique');
  t.match(dup.stderr, /network create `lab`: a network of that name exists/);
  t.match(host.cli(sb, ['network', 'create', 'other', '--subnet', '10.89.77.128/25']).stderr, /overlaps network lab/);

  const victim = host.cli(sb, ['run', '-d', '--profile', 'lab', '--name', 'victim', '--network', 'lab', '-v', `${www}:/www:ro`, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/www']);
  t.equal(victim.code, 0, victim.stderr);
  const ins = JSON.parse(host.cli(sb, ['network', 'inspect', 'lab']).stdout) as { Containers: Record<string, { Name: string; IPv4Address: string }> }[];
  const v = Object.values(ins[0]!.Containers);
  t.same(v.map((c) => c.Name), ['victim']);
  t.equal(v[0]?.IPv4Address, '10.89.77.2/24', 'the first container gets the first address after the gateway');

  const attack = host.cli(sb, ['run', '--rm', '--profile', 'lab', '--name', 'attacker', '--network', 'lab', 'busybox', 'sh', '-c', 'wget -q -O- http://victim/ && { wget -q -O- http://198.18.0.2/ || echo no egress; }']);
  t.equal(attack.code, 0, attack.stderr);
  t.equal(attack.stdout, 'the victim\'s page\nno egress\n', 'the attacker reaches the victim by name; lab\'s egress is none (test/network/egress.test.ts)');
  const egress = host.cli(sb, ['run', '--rm', '--profile', 'default', '--network', 'lab', 'busybox', 'wget', '-q', '-O-', 'http://198.18.0.2/']);
  t.equal(egress.stdout, 'hello from the world\n', 'a profile allowing egress reaches the world (not internal)');

  const third = host.cli(sb, ['run', '--rm', '--profile', 'lab', 'busybox', 'sh', '-c', 'wget -q -O- http://10.89.77.2/ || echo unreachable']);
  t.equal(third.stdout, 'unreachable\n', 'a container not on the network cannot reach the victim');

  const busy = host.cli(sb, ['network', 'rm', 'lab']);
  t.not(busy.code, 0, 'network rm refuses while a container is on it');
  t.match(busy.stderr, /network rm `lab`: containers are on it: victim/);

  // --internal: members reach each other, nothing else
  t.equal(host.cli(sb, ['network', 'create', '--internal', 'closed']).code, 0);
  const closed = host.cli(sb, ['run', '--rm', '--profile', 'default', '--network', 'closed', 'busybox', 'sh', '-c', 'wget -q -O- http://198.18.0.2/ || echo unreachable']);
  t.equal(closed.stdout, 'unreachable\n', 'an --internal network does not reach the world, even with egress: all');

  // lab: NET_ADMIN and raw sockets act on the container's own namespace only
  const labCaps = host.cli(sb, ['run', '--rm', '--profile', 'lab', '--network', 'lab', 'busybox', 'sh', '-c', 'ping -c 1 -W 2 10.89.77.1 >/dev/null && echo pinged; ip link set lo down && ip link show lo | grep -c "state DOWN\\|<LOOPBACK>"']);
  t.equal(labCaps.code, 0, labCaps.stderr);
  t.equal(labCaps.stdout, 'pinged\n1\n', 'a raw-socket ping works and lo goes down inside');
  const strictPing = host.cli(sb, ['run', '--rm', 'busybox', 'ping', '-c', '1', '-W', '1', '127.0.0.1']);
  t.not(strictPing.code, 0, 'strict has no raw sockets');

  // /etc/hosts follows the membership: a container that joins later appears in the victim's, and goes when it leaves
  t.equal(host.cli(sb, ['run', '-d', '--profile', 'lab', '--name', 'peer', '--network', 'lab', 'busybox', 'sleep', '300']).code, 0);
  t.match(host.cli(sb, ['exec', 'victim', 'cat', '/etc/hosts']).stdout, /\n10\.89\.77\.\d+\tpeer\n/, 'a later member appears in /etc/hosts');
  t.match(host.cli(sb, ['exec', 'victim', 'sh', '-c', 'echo x >/etc/hosts']).stderr, /Read-only file system/, 'the container cannot rewrite the runtime\'s hosts file');
  t.equal(host.cli(sb, ['rm', '-f', 'peer']).code, 0);
  t.notMatch(host.cli(sb, ['exec', 'victim', 'cat', '/etc/hosts']).stdout, /peer/, 'and is gone once it left');

  const nosuch = host.cli(sb, ['run', '--rm', '--profile', 'lab', '--network', 'nosuch', 'busybox', 'true']);
  t.equal(nosuch.code, 125);
  t.match(nosuch.stderr, /use network `nosuch`: no such network/);

  t.equal(host.cli(sb, ['rm', '-f', 'victim']).code, 0);
  t.equal(host.cli(sb, ['network', 'rm', 'lab', 'closed']).code, 0);
  t.same(host.cli(sb, ['network', 'ls', '-q']).stdout, '');
  t.same(host.links(), linksBefore, 'no uplink veth left in the host namespace; lo and the world link unchanged');
  t.equal(host.nftTables(), nftBefore, 'no nft table left in the host namespace');
  t.same(sb.leftovers(), [], 'no state dir, id range, cgroup or namespace mount left');
  const nets = `${sb.runRoot}/networks`;
  t.same(existsSync(nets) ? readdirSync(nets) : [], [], 'no network runtime dir left');
});
