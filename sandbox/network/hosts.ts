// sandbox/network/hosts.ts — a lab member's /etc/hosts: its own lines plus every other member by name, rewritten as members join and leave (parent, root)
//
// The file lives in the container's runtime state dir (root's, 0700), bound read-only over the
// container's /etc/hosts; it is rewritten in place (same inode), which the bind mount shows at once.
// It is never written through the container's own tree, which container root could have turned
// into a symlink to a host file.
import { closeSync, ftruncateSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeNames } from './dns.js';
import { members, netRunDir } from './lab.js';

export const hostsFile = (stateDir: string) => join(stateDir, 'hosts');
const baseFile = (stateDir: string) => join(stateDir, 'hosts.base');

/** writeHostsBase records a member's own lines (localhost, itself, --add-host) and makes its hosts file */
export function writeHostsBase(stateDir: string, base: string): void {
  writeFileSync(baseFile(stateDir), base, { mode: 0o600 });
  writeFileSync(hostsFile(stateDir), base, { mode: 0o644 });
}

/** membershipFiles: a container's memberships — lab.json (the network it started on), lab-NET.json (network connect) */
export function membershipFiles(stateDir: string): string[] {
  try { return readdirSync(stateDir).filter((f) => f === 'lab.json' || /^lab-.+\.json$/.test(f)).map((f) => join(stateDir, f)); } catch { return []; }
}

/** networksOf: the networks a container is on, from its state dir */
export function networksOf(stateDir: string): string[] {
  return membershipFiles(stateDir).flatMap((f) => {
    try { return [(JSON.parse(readFileSync(f, 'utf8')) as { network: string }).network]; } catch { return []; }
  });
}

/** refreshHosts rewrites every member's hosts file: its own lines, then the others by name (call under the network's lock) */
export function refreshHosts(network: string): void {
  const all = members(network);
  writeNames(netRunDir(network), all);
  for (const m of all) {
    // every network the member is on (network connect adds more than one), each with its peers
    const sections = networksOf(m.stateDir).map((net) => {
      const peers = (net === network ? all : members(net)).filter((o) => o.id !== m.id).map((o) => `${o.ip}\t${o.name}\n${o.ip6 ? `${o.ip6}\t${o.name}\n` : ''}`).join('');
      return peers ? `# lab network ${net}\n${peers}` : '';
    });
    rewriteHosts(m.stateDir, sections.join(''));
  }
}

/** rewriteHosts: a member's own lines plus EXTRA, in place */
export function rewriteHosts(stateDir: string, extra: string): void {
  let base: string;
  try { base = readFileSync(baseFile(stateDir), 'utf8'); } catch { return; }
  writeInPlace(hostsFile(stateDir), `${base}${extra}`);
}

/** writeInPlace keeps the inode: a bind mount of the file shows the new text at once (a missing file is left alone) */
export function writeInPlace(file: string, s: string): void {
  const text = Buffer.from(s);
  let fd: number;
  try { fd = openSync(file, 'r+'); } catch { return; }
  try { ftruncateSync(fd, 0); writeSync(fd, text, 0, text.length, 0); } finally { closeSync(fd); }
}
