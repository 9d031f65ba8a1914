// sandbox/network/dns.ts — a lab network's resolver (build/labdns on the gateway address) and its members' /etc/resolv.conf (parent, root)
//
// The resolver runs in the network's own namespace from the network's first member to its
// teardown; it answers the members' names from RUN/networks/NAME/names, which refreshHosts
// rewrites in place (same inode: the resolver holds it open and has dropped to nobody) whenever a
// member joins or leaves. Names not on the network are REFUSED, so a member's libc goes on to the
// upstream nameservers in its resolv.conf — only those its egress lets it reach.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SandboxError } from '../../common/errors.js';
import { egressAllows, type Egress } from '../../policy/egress.js';
import { PACKAGE_ROOT } from '../paths.js';
import { writeInPlace } from './hosts.js';

export const LABDNS_PATH = join(PACKAGE_ROOT, 'build', 'labdns');
const namesFile = (runDir: string) => join(runDir, 'names');
const pidFile = (runDir: string) => join(runDir, 'dns.pid');
const logFile = (runDir: string) => join(runDir, 'dns.log');

/** writeNames rewrites the names the resolver serves, in place ("# end" last: a half-written copy is ignored) */
export function writeNames(runDir: string, members: readonly { ip: string; name: string }[]): void {
  writeInPlace(namesFile(runDir), `${members.map((m) => `${m.ip} ${m.name}\n`).join('')}# end\n`);
}

/** startResolver starts the network's resolver in its namespace and waits until it is bound (call under the network's lock) */
export function startResolver(runDir: string, nsPath: string, network: string, gateway: string): void {
  writeFileSync(namesFile(runDir), '# end\n', { mode: 0o600 });
  // setsid and nsenter exec in place: $! is the resolver's own pid. It outlives this command (the
  // network does) and is stopped by pid in stopResolver, or exits when the names file goes.
  const pid = execFileSync('sh', ['-c', 'setsid nsenter --net="$1" "$2" "$3" "$4" </dev/null >"$5" 2>&1 & echo $!', 'sh', nsPath, LABDNS_PATH, gateway, namesFile(runDir), logFile(runDir)],
    { encoding: 'utf8', env: { ...process.env, PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } }).trim();
  writeFileSync(pidFile(runDir), pid);
  for (let i = 0; i < 500; i++) {
    const log = readFileSync(logFile(runDir), 'utf8');
    if (log.startsWith('ready')) return;
    if (log.includes('labdns:') || !exists(Number(pid))) throw new SandboxError('TSS_ENETWORK', `set up network \`${network}\`: the resolver did not start: ${log.trim().split('\n').pop() ?? 'it exited'}`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  throw new SandboxError('TSS_ENETWORK', `set up network \`${network}\`: the resolver did not report ready within 10 s`);
}

/** exists: the process is there (setsid and nsenter may not have exec'd the resolver yet) and not a zombie */
function exists(pid: number): boolean {
  try { return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; }
}

function alive(pid: number): boolean {
  try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'labdns'; } catch { return false; }
}

/** stopResolver kills the network's resolver by its recorded pid (checked to still be a labdns) and removes its files; idempotent */
export function stopResolver(runDir: string): void {
  try {
    const pid = Number(readFileSync(pidFile(runDir), 'utf8'));
    if (pid > 1 && alive(pid)) process.kill(pid, 'SIGKILL');
  } catch { /* never started, or gone */ }
  for (const f of [namesFile(runDir), pidFile(runDir), logFile(runDir)]) rmSync(f, { force: true });
}

/**
 * labResolv: a lab member's /etc/resolv.conf — the network's resolver first, then the nameservers
 * it would otherwise get (--dns, or the host's) that its egress lets it reach on udp/53; search and
 * options lines kept.
 */
export function labResolv(original: string, gateway: string, egress: Egress | undefined): string {
  const lines = original.split('\n').filter(Boolean);
  const upstream = lines.filter((l) => {
    const m = /^nameserver\s+(\S+)/.exec(l);
    return m && m[1] !== gateway && egressAllows(egress, m[1]!, 53, 'udp');
  });
  return [`nameserver ${gateway}`, ...upstream, ...lines.filter((l) => !l.startsWith('nameserver'))].join('\n') + '\n';
}
