// sandbox/network/lab-join.ts — a container joins a lab network: runtime pieces up, an address, a veth, /etc/hosts, the attach hook (parent, root)
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../../common/errors.js';
import { ANN, type OciSpec } from '../oci-spec.js';
import { labResolv, startResolver } from './dns.js';
import { addr6 } from './ipv6.js';
import { applyEgress, egressOf, removeEgress } from './egress.js';
import { hostsFile, refreshHosts, writeHostsBase } from './hosts.js';
import type { NetContext } from './index.js';
import {
  ipBatch, ipNum, members, netnsOf, netRunDir, numIp, parseSubnet, readNetwork, sh, teardown, uplinkName, hostTable, withLock,
  type LabNetwork, type Member,
} from './lab.js';

/** linkNet: the uplink's /30 in 100.64.0.0/10 (shared address space, never a lab subnet), from the network id */
function linkNet(n: LabNetwork): { host: string; ns: string } {
  const k = parseInt(createHash('sha256').update(n.id).digest('hex').slice(0, 8), 16) % (1 << 20);
  const base = 100 * 2 ** 24 + 64 * 2 ** 16 + k * 4;
  return { host: numIp(base + 1), ns: numIp(base + 2) };
}

/** writeProcInNs sets a per-namespace sysctl from inside the namespace (/proc/sys/net is the opener's) */
function sysctlIn(nsPath: string | null, key: string, value: string, thing: string): void {
  const script = `echo ${value} > /proc/sys/${key.replace(/\./g, '/')}`;
  if (nsPath) sh('set up network', thing, 'nsenter', [`--net=${nsPath}`, 'sh', '-c', script]);
  else sh('set up network', thing, 'sh', ['-c', script]);
}

/** ensureUp makes the network's namespace, bridge and (unless internal) uplink, once */
export function ensureUp(n: LabNetwork): void {
  const ns = netnsOf(n.name);
  if (existsSync(join(netRunDir(n.name), 'network.json'))) return;
  try {
    closeSync(openSync(ns, 'w', 0o600));
    sh('set up network', n.name, 'unshare', [`--net=${ns}`, 'true']);
    const { bits } = parseSubnet(n.subnet);
    // nodad: the gateway's IPv6 address is usable at once, not after duplicate address detection
    ipBatch('set up network', n.name, ns, ['link set lo up', 'link add br0 type bridge', `addr add ${n.gateway}/${bits} dev br0`,
      ...(n.prefix6 ? [`addr add ${addr6(n.prefix6, 1)}/64 dev br0 nodad`] : []), 'link set br0 up']);
    if (!n.internal) {
      const up = uplinkName(n), l = linkNet(n);
      // made in tssandbox's own namespace with its peer already in the network's
      ipBatch('set up network', n.name, null, [`link add ${up} type veth peer name up0 netns ${ns}`, `addr add ${l.host}/30 dev ${up}`, `link set ${up} up`]);
      ipBatch('set up network', n.name, ns, [`addr add ${l.ns}/30 dev up0`, 'link set up0 up', `route add default via ${l.host}`]);
      sysctlIn(ns, 'net.ipv4.ip_forward', '1', n.name);
      sysctlIn(null, 'net.ipv4.ip_forward', '1', n.name);
      sh('set up network', n.name, 'nsenter', [`--net=${ns}`, 'nft', '-f', '-'], `table ip tssandbox {\n chain post { type nat hook postrouting priority srcnat; policy accept; ip saddr ${n.subnet} oifname "up0" masquerade; }\n}\n`);
      sh('set up network', n.name, 'nft', ['-f', '-'], `table ip ${hostTable(n)} {\n chain post { type nat hook postrouting priority srcnat; policy accept; ip saddr ${l.ns} oifname != "${up}" masquerade; }\n}\n`);
    }
    // the resolver last: it binds the gateway address, which the bridge now has
    startResolver(netRunDir(n.name), ns, n.name, n.gateway);
    writeFileSync(join(netRunDir(n.name), 'network.json'), JSON.stringify(n));
  } catch (e) {
    writeFileSync(join(netRunDir(n.name), 'network.json'), JSON.stringify(n)); // so teardown knows what to remove
    teardown(n.name);
    throw e;
  }
}

/** ip6Of: a member's IPv6 address on a network with --ipv6 (the same host number as its IPv4 one) */
export function ip6Of(n: LabNetwork, ip: string): { ip6?: string } {
  return n.prefix6 ? { ip6: addr6(n.prefix6, ipNum(ip) - parseSubnet(n.subnet).base) } : {};
}

export function allocate(n: LabNetwork, taken: readonly Member[]): string {
  const { base, bits } = parseSubnet(n.subnet);
  const used = new Set([n.gateway, ...taken.map((m) => m.ip)]);
  for (let i = 2; i < 2 ** (32 - bits) - 1; i++) if (!used.has(numIp(base + i))) return numIp(base + i);
  fail('TSS_ENETWORK', 'join network', n.name, `no free address left in ${n.subnet}`);
}

/**
 * addMember (under the network's lock): brings the network up, gives the container an address and
 * a veth on the bridge (its peer `tcID` still in the network's namespace), and records the
 * membership in the network's members/ and as STATEDIR/RECORD (lab.json, or lab-NET.json for
 * network connect), so that leaving undoes it from then on.
 */
export function addMember(n: LabNetwork, c: { id: string; name: string; stateDir: string }, annotations: Readonly<Record<string, string>>, record: string, action: string): Member {
  const short = c.id.slice(0, 10);
  return withLock(n.name, () => {
    ensureUp(n);
    const others = members(n.name);
    if (others.some((o) => o.name === c.name)) fail('TSS_ENETWORK', action, n.name, `a container named ${c.name} is on it`);
    const ip = allocate(n, others);
    const me: Member = { id: c.id, name: c.name, ip, veth: `tv${short}`, stateDir: c.stateDir, ...ip6Of(n, ip) };
    // the egress table comes before the veth joins the bridge: no frame of the member passes unruled
    // (an internal network has no uplink: nothing can leave it whatever the profile says)
    try {
      if (!n.internal) applyEgress(netnsOf(n.name), n.name, me.veth, n, egressOf(annotations));
      ipBatch(action, n.name, netnsOf(n.name), [`link add ${me.veth} type veth peer name tc${short}`, `link set ${me.veth} master br0`, `link set ${me.veth} up`]);
    } catch (e) { removeEgress(netnsOf(n.name), me.veth); throw e; }
    mkdirSync(join(netRunDir(n.name), 'members'), { recursive: true, mode: 0o700 });
    writeFileSync(join(netRunDir(n.name), 'members', `${c.id}.json`), JSON.stringify(me));
    writeFileSync(join(c.stateDir, record), JSON.stringify({ network: n.name, id: c.id, veth: me.veth }));
    return me;
  });
}

export async function joinLab(spec: OciSpec, ctx: NetContext, netnsFile: string, name: string): Promise<{ spec: OciSpec; hook: string[] }> {
  const n = readNetwork(ctx.root, name);
  const short = ctx.id.slice(0, 10);
  const m = { me: addMember(n, ctx, spec.annotations, 'lab.json', 'join network') };
  const { bits } = parseSubnet(n.subnet);
  // run by the launcher once the container's namespace exists: move the peer in, address it, route through the gateway
  const hook = join(ctx.stateDir, 'net-up.sh');
  writeFileSync(hook, [
    '#!/bin/sh', 'set -e', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
    `nsenter --net=${netnsOf(name)} ip link set tc${short} netns ${netnsFile}`,
    `nsenter --net=${netnsFile} ip -batch - <<EOF`,
    // an internal network has no default route (docker's rule): traffic elsewhere fails at once, not by a timeout
    `link set tc${short} name eth0`, `addr add ${m.me.ip}/${bits} dev eth0`, ...(m.me.ip6 ? [`addr add ${m.me.ip6}/64 dev eth0 nodad`] : []), 'link set eth0 up', ...(n.internal ? [] : [`route add default via ${n.gateway}`]), 'EOF', '',
  ].join('\n'), { mode: 0o700 });
  // /etc/hosts: a file of the runtime's (STATEDIR/hosts), bound read-only over the container's, so the
  // members' lists can be rewritten in place as containers join and leave (hosts.ts); the container's
  // own name and address replace the 127.0.1.1 line of a loopback-only container
  const files = JSON.parse(spec.annotations[ANN.files] ?? '{}') as Record<string, string>;
  const hostname = spec.hostname;
  const lines = (files['/etc/hosts'] ?? '').split('\n').filter((l) => l && !l.startsWith('127.0.1.1\t'));
  const names = `${hostname}${hostname !== ctx.name ? ` ${ctx.name}` : ''}`;
  const own = `${m.me.ip}\t${names}${m.me.ip6 ? `\n${m.me.ip6}\t${names}` : ''}`;
  writeHostsBase(ctx.stateDir, `${[...lines.slice(0, 2), own, ...lines.slice(2)].join('\n')}\n`);
  // resolv.conf: the network's resolver (members by name, for nslookup-style lookups that skip
  // /etc/hosts), then only the upstream nameservers the member's egress reaches
  files['/etc/resolv.conf'] = labResolv(files['/etc/resolv.conf'] ?? '', n.gateway, n.internal ? [] : egressOf(spec.annotations));
  withLock(name, () => refreshHosts(name));
  const mounts = [...spec.mounts, { destination: '/etc/hosts', type: 'bind', source: hostsFile(ctx.stateDir), options: ['rbind', 'ro', 'nosuid', 'nodev', 'noexec', 'file'] }];
  return { spec: { ...spec, mounts, annotations: { ...spec.annotations, [ANN.files]: JSON.stringify(files) } }, hook: ['/bin/sh', hook] };
}
