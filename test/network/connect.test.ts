// test/network/connect.test.ts — network connect/disconnect of a running container: an ethN into its namespace, names for everyone, undone by disconnect and by rm -f (tests, root)
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import type { Member } from '../helpers/image-archives.js';
import { Sandbox } from '../helpers/sandbox.js';
import { HostNs, rootOrToolsMissing } from './host-ns.js';

const skip = rootOrToolsMissing() || busyboxMissing();
const applets: Member[] = ['httpd', 'wget', 'ip', 'sleep', 'cat', 'nslookup'].map((a) => ({ name: `./bin/${a}`, type: 'symlink', linkname: 'busybox' }));

t.test('network connect and disconnect', { skip }, async (t) => {
  const sb = new Sandbox('net-connect');
  const host = new HostNs('connect');
  t.teardown(() => {
    for (const n of ['a', 'b', 'loner']) host.cli(sb, ['rm', '-f', n]);
    host.cli(sb, ['network', 'rm', '-f', 'neta', 'netb']);
    host.remove(); sb.cleanup();
  });
  await sb.importBusybox('busybox', applets);
  const www = sb.path('www');
  mkdirSync(www);
  writeFileSync(`${www}/index.html`, 'b\'s page\n');
  const linksBefore = host.links();
  t.equal(host.cli(sb, ['network', 'create', 'neta', '--subnet', '10.89.80.0/24']).code, 0);
  t.equal(host.cli(sb, ['network', 'create', 'netb', '--subnet', '10.89.81.0/24', '--internal']).code, 0);
  const a = host.cli(sb, ['run', '-d', '--profile', 'lab', '--name', 'a', '--network', 'neta', 'busybox', 'sleep', '300']);
  t.equal(a.code, 0, a.stderr);
  const b = host.cli(sb, ['run', '-d', '--profile', 'lab', '--name', 'b', '--network', 'netb', '-v', `${www}:/www:ro`, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/www']);
  t.equal(b.code, 0, b.stderr);
  t.match(host.cli(sb, ['exec', 'a', 'wget', '-q', '-O-', 'http://b/']).stderr, /bad address/, 'before: a does not know b');

  const con = host.cli(sb, ['network', 'connect', 'netb', 'a']);
  t.equal(con.code, 0, con.stderr);
  t.match(host.cli(sb, ['exec', 'a', 'ip', '-o', '-4', 'addr', 'show', 'eth1']).stdout, /eth1\s+inet 10\.89\.81\.3\/24/, 'a has eth1 on netb');
  t.equal(host.cli(sb, ['exec', 'a', 'wget', '-q', '-O-', 'http://b/']).stdout, 'b\'s page\n', 'a reaches b by name over netb');
  t.match(host.cli(sb, ['exec', 'b', 'cat', '/etc/hosts']).stdout, /# lab network netb\n10\.89\.81\.3\ta\n/, 'b\'s /etc/hosts has a');
  t.match(host.cli(sb, ['exec', 'b', 'nslookup', 'a']).stdout, /Address:\s+10\.89\.81\.3\n/, 'netb\'s resolver answers a');
  t.match(host.cli(sb, ['exec', 'a', 'cat', '/etc/hosts']).stdout, /# lab network netb\n10\.89\.81\.2\tb\n/, 'a\'s /etc/hosts has b under netb');
  const ins = JSON.parse(host.cli(sb, ['network', 'inspect', 'netb']).stdout) as { Containers: Record<string, { Name: string }> }[];
  t.same(Object.values(ins[0]!.Containers).map((c) => c.Name).sort(), ['a', 'b']);

  const again = host.cli(sb, ['network', 'connect', 'netb', 'a']);
  t.not(again.code, 0);
  t.match(again.stderr, /^tssandbox: network connect `netb a`: the container is on that network already\n$/);
  t.equal(host.cli(sb, ['run', '-d', '--name', 'loner', 'busybox', 'sleep', '300']).code, 0);
  const loner = host.cli(sb, ['network', 'connect', 'netb', 'loner']);
  t.not(loner.code, 0, 'a container without a lab network is refused');
  t.match(loner.stderr, /^tssandbox: network connect `netb loner`: only a running container started on a lab network/);
  t.match(host.cli(sb, ['network', 'connect', 'nosuch', 'a']).stderr, /no such network/);

  const dis = host.cli(sb, ['network', 'disconnect', 'netb', 'a']);
  t.equal(dis.code, 0, dis.stderr);
  t.notMatch(host.cli(sb, ['exec', 'a', 'ip', '-o', 'link']).stdout, /eth1/, 'eth1 is gone');
  t.notMatch(host.cli(sb, ['exec', 'b', 'cat', '/etc/hosts']).stdout, /\ta\n/, 'b no longer lists a');
  t.notMatch(host.cli(sb, ['exec', 'a', 'cat', '/etc/hosts']).stdout, /\tb\n/, 'a no longer lists b');
  t.not(host.cli(sb, ['exec', 'b', 'nslookup', 'a']).code, 0, 'nor does netb\'s resolver');
  t.match(host.cli(sb, ['network', 'disconnect', 'netb', 'a']).stderr, /the container is not on that network/);

  // connected again, then removed: it leaves both networks
  t.equal(host.cli(sb, ['network', 'connect', 'netb', 'a']).code, 0);
  t.equal(host.cli(sb, ['rm', '-f', 'a']).code, 0);
  t.notMatch(host.cli(sb, ['exec', 'b', 'cat', '/etc/hosts']).stdout, /\ta\n/, 'rm -f of a connected container updates the others');
  const after = JSON.parse(host.cli(sb, ['network', 'inspect', 'netb']).stdout) as { Containers: Record<string, { Name: string }> }[];
  t.same(Object.values(after[0]!.Containers).map((c) => c.Name), ['b']);

  for (const n of ['b', 'loner']) t.equal(host.cli(sb, ['rm', '-f', n]).code, 0);
  t.equal(host.cli(sb, ['network', 'rm', 'neta', 'netb']).code, 0);
  t.same(host.links(), linksBefore, 'no veth or uplink left in the host namespace');
  t.same(sb.leftovers(), [], 'nothing left behind');
  const nets = `${sb.runRoot}/networks`;
  t.same(existsSync(nets) ? readdirSync(nets) : [], [], 'no network runtime dir left');
});
