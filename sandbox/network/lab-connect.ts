// sandbox/network/lab-connect.ts — `network connect NET CONTAINER`: a running lab member gets another network (a veth into its namespace as ethN) (parent, root)
//
// Only a container that started on a lab network can be connected: its network namespace is bound
// at STATEDIR/netns (never reached through a pid that could be reused) and its /etc/hosts is the
// runtime's file, rewritten in place for every network it is on. The membership is recorded as
// STATEDIR/lab-NET.json beside lab.json, so every path that releases a container (exit, rm -f, a
// crashed run's reaping) leaves every network it is on (lab-leave.ts).
import { existsSync } from 'node:fs';
import { fail } from '../../common/errors.js';
import type { OciSpec } from '../oci-spec.js';
import { hostsFile, networksOf, refreshHosts } from './hosts.js';
import { addMember } from './lab-join.js';
import { leaveNetwork } from './lab-leave.js';
import { ipBatch, netnsOf, parseSubnet, readNetwork, sh, withLock, type Member } from './lab.js';
import { mounted, netnsFile } from './netns.js';

export interface Connectable { readonly id: string; readonly name: string; readonly stateDir: string; readonly spec: OciSpec }

export function connectLab(root: string | undefined, c: Connectable, network: string): Member {
  const what = `${network} ${c.name}`;
  const nsFile = netnsFile(c.stateDir);
  if (!mounted(nsFile) || !existsSync(hostsFile(c.stateDir)) || !networksOf(c.stateDir).length) {
    fail('TSS_ENETWORK', 'network connect', what, 'only a running container started on a lab network (run --network NAME) can be connected to another');
  }
  if (networksOf(c.stateDir).includes(network)) fail('TSS_ENETWORK', 'network connect', what, 'the container is on that network already');
  const n = readNetwork(root, network);
  const short = c.id.slice(0, 10);
  const me = addMember(n, c, c.spec.annotations, `lab-${network}.json`, 'network connect');
  // the next free ethN inside; no default route: the network it started on keeps that
  const inside = sh('network connect', what, 'nsenter', [`--net=${nsFile}`, 'ip', '-o', 'link']).split('\n').map((l) => l.split(':')[1]?.trim().replace(/@.*/, '') ?? '');
  let k = 0;
  while (inside.includes(`eth${k}`)) k++;
  try {
    sh('network connect', what, 'nsenter', [`--net=${netnsOf(network)}`, 'ip', 'link', 'set', `tc${short}`, 'netns', nsFile]);
    ipBatch('network connect', what, nsFile, [`link set tc${short} name eth${k}`, `addr add ${me.ip}/${parseSubnet(n.subnet).bits} dev eth${k}`, ...(me.ip6 ? [`addr add ${me.ip6}/64 dev eth${k} nodad`] : []), `link set eth${k} up`]);
  } catch (e) {
    leaveNetwork(c.stateDir, network, c.name); // the veth, the tables, the records; the last member takes the network down
    throw e;
  }
  withLock(network, () => refreshHosts(network));
  return me;
}
