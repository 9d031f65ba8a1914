// sandbox/network/lab-leave.ts — a container leaves its lab network; the last one takes the runtime pieces along (parent, any process that cleans up)
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { removeEgress } from './egress.js';
import { fail } from '../../common/errors.js';
import { membershipFiles, networksOf, refreshHosts, rewriteHosts } from './hosts.js';
import { members, netnsOf, netRunDir, teardown, withLock } from './lab.js';

/** leaveOne undoes one membership from its record file (lab.json or lab-NET.json) */
function leaveOne(file: string): void {
  let rec: { network: string; id: string; veth: string };
  try { rec = JSON.parse(readFileSync(file, 'utf8')) as typeof rec; } catch { return; }
  withLock(rec.network, () => {
    try { execFileSync('nsenter', [`--net=${netnsOf(rec.network)}`, 'ip', 'link', 'del', rec.veth], { stdio: 'ignore' }); } catch { /* went with the container's namespace */ }
    removeEgress(netnsOf(rec.network), rec.veth);
    rmSync(join(netRunDir(rec.network), 'members', `${rec.id}.json`), { force: true });
    rmSync(file, { force: true });
    if (!members(rec.network).filter((m) => m.id !== rec.id).length) teardown(rec.network);
    else refreshHosts(rec.network);
  });
}

/** leaveLab undoes every membership of a container (joinLab's and network connect's); a no-op for a container on no network */
export function leaveLab(stateDir: string): void {
  for (const f of membershipFiles(stateDir)) leaveOne(f);
}

/** leaveNetwork (network disconnect): the running container leaves one network; its other networks' peers stay in its /etc/hosts */
export function leaveNetwork(stateDir: string, network: string, what: string): void {
  const file = membershipFiles(stateDir).find((f) => { try { return (JSON.parse(readFileSync(f, 'utf8')) as { network: string }).network === network; } catch { return false; } });
  if (!file) fail('TSS_ENETWORK', 'network disconnect', `${network} ${what}`, 'the container is not on that network');
  leaveOne(file);
  for (const net of networksOf(stateDir)) withLock(net, () => refreshHosts(net));
  // a container left with no network: its own lines only
  if (!networksOf(stateDir).length) rewriteHosts(stateDir, '');
}
