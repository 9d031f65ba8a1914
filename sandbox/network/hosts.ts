// sandbox/network/hosts.ts — a lab member's /etc/hosts: its own lines plus every other member by name, rewritten as members join and leave (parent, root)
//
// The file lives in the container's runtime state dir (root's, 0700), bound read-only over the
// container's /etc/hosts; it is rewritten in place (same inode), which the bind mount shows at once.
// It is never written through the container's own tree, which container root could have turned
// into a symlink to a host file.
import { closeSync, ftruncateSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
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

/** refreshHosts rewrites every member's hosts file: its own lines, then the others by name (call under the network's lock) */
export function refreshHosts(network: string): void {
  const all = members(network);
  writeNames(netRunDir(network), all);
  for (const m of all) {
    let base: string;
    try { base = readFileSync(baseFile(m.stateDir), 'utf8'); } catch { continue; }
    const peers = all.filter((o) => o.id !== m.id).map((o) => `${o.ip}\t${o.name}\n`).join('');
    const text = Buffer.from(`${base}${peers ? `# lab network ${network}\n${peers}` : ''}`);
    let fd: number;
    try { fd = openSync(hostsFile(m.stateDir), 'r+'); } catch { continue; }
    try { ftruncateSync(fd, 0); writeSync(fd, text, 0, text.length, 0); } finally { closeSync(fd); }
  }
}
