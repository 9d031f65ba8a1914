// sandbox/network/lab.ts — lab networks: records, runtime namespace with its bridge, members, uplink (parent, root)
//
// A lab network is a record under the data root (ROOT/networks/NAME.json: subnet, gateway,
// internal) and, while a container is on it, runtime pieces under the run root
// (RUN/networks/NAME/): `ns`, a network namespace of its own bind-mounted there, holding the bridge
// `br0` (the gateway address) and one veth end per container; `members/ID.json`; and, unless
// --internal, an uplink veth to the namespace tssandbox runs in, with masquerade (nftables) in both.
// Nothing of a lab network sits in the host's namespace but the uplink's host end and its nft table,
// and those only for a network that is not internal. The last member to leave takes everything
// runtime with it; `network rm` removes the record.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail, SandboxError } from '../../common/errors.js';
import { dataRoot, runRoot } from '../paths.js';
import { NETWORK_NAME } from './mode.js';
import { stopResolver } from './dns.js';
import { addr6, parseSubnet6, subnet6, ulaPrefix } from './ipv6.js';
import { mounted } from './netns.js';

export interface LabNetwork {
  readonly id: string;
  readonly name: string;
  /** IPv4 CIDR, e.g. 10.89.0.0/24 */
  readonly subnet: string;
  readonly gateway: string;
  readonly internal: boolean;
  readonly created: string;
  /** with --ipv6: the /64's prefix (four groups; members get PREFIX::N, the gateway PREFIX::1) */
  readonly prefix6?: string;
}

export interface Member { readonly id: string; readonly name: string; readonly ip: string; readonly veth: string; readonly stateDir: string; readonly ip6?: string }

const PATH_ENV = { ...process.env, PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
const recordFile = (root: string, name: string) => join(root, 'networks', `${name}.json`);
export const netRunDir = (name: string) => join(runRoot(), 'networks', name);
export const netnsOf = (name: string) => join(netRunDir(name), 'ns');

/** ip4 ↔ number */
export const ipNum = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
export const numIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/** parseSubnet reads an IPv4 CIDR from /16 to /29 and normalises it to its network address */
export function parseSubnet(cidr: string): { base: number; bits: number; text: string } {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr);
  if (!m || m[1]!.split('.').some((o) => Number(o) > 255)) fail('TSS_EUSAGE', 'parse', `--subnet ${cidr}`, 'expected an IPv4 CIDR like 10.89.3.0/24');
  const bits = Number(m[2]);
  if (bits < 16 || bits > 29) fail('TSS_EUSAGE', 'parse', `--subnet ${cidr}`, 'the prefix must be between /16 and /29');
  const size = 2 ** (32 - bits);
  const base = Math.floor(ipNum(m[1]!) / size) * size;
  return { base, bits, text: `${numIp(base)}/${bits}` };
}

function overlaps(a: string, b: string): boolean {
  const x = parseSubnet(a), y = parseSubnet(b);
  const xe = x.base + 2 ** (32 - x.bits), ye = y.base + 2 ** (32 - y.bits);
  return x.base < ye && y.base < xe;
}

/** sh runs a command (no shell), returning stdout; a failure becomes TSS_ENETWORK naming the action */
export function sh(action: string, thing: string, cmd: string, args: string[], input?: string): string {
  try {
    return execFileSync(cmd, args, { env: PATH_ENV, encoding: 'utf8', input: input ?? '', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    const err = ((e as { stderr?: string }).stderr ?? (e as Error).message).trim().split('\n').pop();
    throw new SandboxError('TSS_ENETWORK', `${action} \`${thing}\`: ${cmd} ${args.slice(0, 3).join(' ')}: ${err}`);
  }
}

/** inNs runs `ip -batch -` inside the namespace bound at PATH */
export function ipBatch(action: string, thing: string, nsPath: string | null, lines: string[]): void {
  if (!lines.length) return;
  const args = nsPath ? [`--net=${nsPath}`, 'ip', '-batch', '-'] : ['ip', '-batch', '-'];
  sh(action, thing, nsPath ? 'nsenter' : 'ip', nsPath ? args : args.slice(1), `${lines.join('\n')}\n`);
}

/** withLock serialises changes to one network (membership, runtime pieces) across processes */
export function withLock<T>(name: string, f: () => T): T {
  const dir = netRunDir(name);
  mkdirSync(join(dir, '..'), { recursive: true, mode: 0o700 });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lock = join(dir, 'lock');
  const deadline = Date.now() + 20_000;
  for (;;) {
    try { closeSync(openSync(lock, 'wx', 0o600)); break; } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // a lock older than the longest legitimate holder is a crashed one's
      try { if (Date.now() - statSync(lock).mtimeMs > 30_000) rmSync(lock, { force: true }); } catch { /* gone */ }
      if (Date.now() > deadline) fail('TSS_ENETWORK', 'lock', lock, 'another command holds the network');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
  try { return f(); } finally { rmSync(lock, { force: true }); }
}

export function readNetwork(root: string | undefined, name: string): LabNetwork {
  try { return JSON.parse(readFileSync(recordFile(dataRoot(root), name), 'utf8')) as LabNetwork; } catch {
    fail('TSS_ENETWORK', 'use network', name, 'no such network (network create NAME)');
  }
}

export function listNetworks(root: string | undefined): LabNetwork[] {
  const dir = join(dataRoot(root), 'networks');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.json')).flatMap((f) => {
    try { return [JSON.parse(readFileSync(join(dir, f), 'utf8')) as LabNetwork]; } catch { return []; }
  }).sort((a, b) => a.name.localeCompare(b.name));
}

export function createNetwork(root: string | undefined, name: string, o: { subnet?: string; internal: boolean; ipv6?: boolean; subnet6?: string }): LabNetwork {
  if (o.subnet6 && !o.ipv6) fail('TSS_EUSAGE', 'network create', `--subnet6 ${o.subnet6}`, 'needs --ipv6');
  const prefix6 = o.subnet6 ? parseSubnet6(o.subnet6) : undefined;
  if (!NETWORK_NAME.test(name) || ['none', 'host', 'bridge', 'default'].includes(name)) fail('TSS_EUSAGE', 'network create', name, 'not a valid network name (none, host, bridge and default are reserved)');
  const existing = listNetworks(root);
  if (existing.some((n) => n.name === name)) fail('TSS_ENETWORK', 'network create', name, 'a network of that name exists');
  let subnet: string;
  if (o.subnet) {
    subnet = parseSubnet(o.subnet).text;
    const clash = existing.find((n) => overlaps(n.subnet, subnet));
    if (clash) fail('TSS_ENETWORK', 'network create', name, `the subnet ${subnet} overlaps network ${clash.name}'s ${clash.subnet}`);
  } else {
    const free = Array.from({ length: 256 }, (_, i) => `10.89.${i}.0/24`).find((s) => !existing.some((n) => overlaps(n.subnet, s)));
    if (!free) fail('TSS_ENETWORK', 'network create', name, 'no free subnet left in 10.89.0.0/16: give --subnet');
    subnet = free;
  }
  const { base } = parseSubnet(subnet);
  const id = randomBytes(32).toString('hex');
  const p6 = o.ipv6 ? prefix6 ?? ulaPrefix(id) : undefined;
  const clash6 = p6 && existing.find((x) => x.prefix6 === p6);
  if (clash6) fail('TSS_ENETWORK', 'network create', name, `the subnet ${subnet6(p6)} is network ${clash6.name}'s`);
  const n: LabNetwork = { id, name, subnet, gateway: numIp(base + 1), internal: o.internal, created: new Date().toISOString(), ...(p6 ? { prefix6: p6 } : {}) };
  mkdirSync(join(dataRoot(root), 'networks'), { recursive: true, mode: 0o700 });
  writeFileSync(`${recordFile(dataRoot(root), name)}.tmp`, JSON.stringify(n, null, 1));
  execFileSync('mv', [`${recordFile(dataRoot(root), name)}.tmp`, recordFile(dataRoot(root), name)]);
  return n;
}

/** members lists the containers on a network, dropping those whose runtime state is gone (a crashed run) */
export function members(name: string): Member[] {
  const dir = join(netRunDir(name), 'members');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    try {
      const m = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Member;
      return existsSync(m.stateDir) ? [m] : [];
    } catch { return []; }
  });
}

export function inspectNetwork(root: string | undefined, name: string): Record<string, unknown> {
  const n = readNetwork(root, name);
  return { Name: n.name, Id: n.id, Created: n.created, Driver: 'tssandbox-lab', Internal: n.internal, EnableIPv6: Boolean(n.prefix6),
    IPAM: { Config: [{ Subnet: n.subnet, Gateway: n.gateway }, ...(n.prefix6 ? [{ Subnet: subnet6(n.prefix6), Gateway: addr6(n.prefix6, 1) }] : [])] },
    Containers: Object.fromEntries(members(name).map((m) => [m.id, { Name: m.name, IPv4Address: `${m.ip}/${parseSubnet(n.subnet).bits}`, ...(m.ip6 ? { IPv6Address: `${m.ip6}/64` } : {}) }])) };
}

export function removeNetwork(root: string | undefined, name: string, force: boolean): void {
  readNetwork(root, name);
  withLock(name, () => {
    const live = members(name);
    if (live.length && !force) fail('TSS_ENETWORK', 'network rm', name, `containers are on it: ${live.map((m) => m.name).join(', ')}`);
    teardown(name);
    rmSync(recordFile(dataRoot(root), name), { force: true });
  });
  rmSync(netRunDir(name), { recursive: true, force: true });
}

/** uplinkName: the host end of a network's uplink veth (15 bytes at most) */
export const uplinkName = (n: LabNetwork) => `tsx${createHash('sha256').update(n.id).digest('hex').slice(0, 10)}`;
export const hostTable = (n: LabNetwork) => `tssandbox_${n.id.slice(0, 12)}`;

/** teardown removes a network's runtime pieces: the namespace (and with it the bridge, veths, its nft table), the host's nft table */
export function teardown(name: string): void {
  const dir = netRunDir(name);
  let n: LabNetwork | undefined;
  try { n = JSON.parse(readFileSync(join(dir, 'network.json'), 'utf8')) as LabNetwork; } catch { /* never came up */ }
  if (n && !n.internal) {
    try { execFileSync('nft', ['delete', 'table', 'ip', hostTable(n)], { env: PATH_ENV, stdio: 'ignore' }); } catch { /* not there */ }
    try { execFileSync('ip', ['link', 'del', uplinkName(n)], { env: PATH_ENV, stdio: 'ignore' }); } catch { /* went with the namespace */ }
  }
  const ns = netnsOf(name);
  for (let i = 0; i < 4 && mounted(ns); i++) { try { execFileSync('umount', ['-l', ns], { stdio: 'ignore' }); } catch { break; } }
  // the resolver holds the namespace alive: it goes with it
  stopResolver(dir);
  for (const f of ['ns', 'network.json', 'members']) rmSync(join(dir, f), { recursive: true, force: true });
}

/**
 * reapNetworks tears down the runtime pieces of every network no live container is on (a member
 * that crashed before it could leave, a join that died half-way). The next network command, a run
 * onto a network and `system prune` call it.
 */
export function reapNetworks(): string[] {
  const dir = join(runRoot(), 'networks');
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (!existsSync(join(dir, name, 'network.json')) || members(name).length) continue;
    try { withLock(name, () => { if (!members(name).length) { teardown(name); out.push(name); } }); } catch { /* busy: the next one */ }
  }
  return out;
}
