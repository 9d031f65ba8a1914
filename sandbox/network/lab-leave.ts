// sandbox/network/lab-leave.ts — a container leaves its lab network; the last one takes the runtime pieces along (parent, any process that cleans up)
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { removeEgress } from './egress.js';
import { refreshHosts } from './hosts.js';
import { members, netnsOf, netRunDir, teardown, withLock } from './lab.js';

/** leaveLab undoes joinLab from STATEDIR/lab.json; a no-op for a container that was on no network */
export function leaveLab(stateDir: string): void {
  let rec: { network: string; id: string; veth: string };
  try { rec = JSON.parse(readFileSync(join(stateDir, 'lab.json'), 'utf8')) as typeof rec; } catch { return; }
  withLock(rec.network, () => {
    try { execFileSync('nsenter', [`--net=${netnsOf(rec.network)}`, 'ip', 'link', 'del', rec.veth], { stdio: 'ignore' }); } catch { /* went with the container's namespace */ }
    removeEgress(netnsOf(rec.network), rec.veth);
    rmSync(join(netRunDir(rec.network), 'members', `${rec.id}.json`), { force: true });
    rmSync(join(stateDir, 'lab.json'), { force: true });
    if (!members(rec.network).filter((m) => m.id !== rec.id).length) teardown(rec.network);
    else refreshHosts(rec.network);
  });
}
