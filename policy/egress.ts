// policy/egress.ts — a profile's `egress`: where a container on a lab network may send traffic beyond the network (everywhere, pure)
//
// `egress: none` (also when absent), `egress: all`, or a list of destinations `CIDR[:PORT[/tcp|udp]]`
// (a bare address is a /32; a port without a protocol means both). Enforced per container by
// nftables in the lab network's namespace (sandbox/network/egress.ts); it does not apply to
// `--network none` (loopback only) or `--network host` (the host's own network).
import { SpecError } from './seccomp-spec.js';

export interface EgressDest {
  /** IPv4 CIDR, normalised to its network address */
  readonly cidr: string;
  readonly port?: number;
  /** absent: tcp and udp */
  readonly proto?: 'tcp' | 'udp';
}

/** absent or []: nothing beyond the network; 'all': anything the network's uplink reaches */
export type Egress = 'all' | readonly EgressDest[];

const ipNum = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
const numIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/** parseEgressDest reads `CIDR[:PORT[/tcp|udp]]`; PATH names the field for the error */
export function parseEgressDest(s: string, path: string): EgressDest {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})(?:\/(\d{1,2}))?(?::(\d{1,5})(?:\/(tcp|udp))?)?$/.exec(s);
  if (!m || m[1]!.split('.').some((o) => Number(o) > 255) || (m[2] !== undefined && Number(m[2]) > 32)) {
    throw new SpecError(path, `\`${s}\` is not CIDR[:PORT[/tcp|udp]] (e.g. 198.51.100.0/24:443/tcp)`);
  }
  const port = m[3] === undefined ? undefined : Number(m[3]);
  if (port !== undefined && (port < 1 || port > 65535)) throw new SpecError(path, `\`${s}\`: ${port} is not a port number`);
  const bits = m[2] === undefined ? 32 : Number(m[2]);
  const size = 2 ** (32 - bits);
  const cidr = `${numIp(Math.floor(ipNum(m[1]!) / size) * size)}/${bits}`;
  return { cidr, ...(port !== undefined ? { port } : {}), ...(m[4] ? { proto: m[4] as 'tcp' | 'udp' } : {}) };
}

/** resolveEgress turns the profile file's value into the resolved form (undefined: none) */
export function resolveEgress(raw: 'none' | 'all' | readonly string[] | undefined, path: string): Egress | undefined {
  if (raw === undefined || raw === 'none') return undefined;
  if (raw === 'all') return 'all';
  return raw.map((s, i) => parseEgressDest(s, `${path}[${i}]`));
}

/** formatEgress: one line for `inspect` and docs ("none", "all", "198.51.100.0/24:443/tcp, …") */
export function formatEgress(e: Egress | undefined): string {
  if (e === undefined || (e !== 'all' && !e.length)) return 'none';
  if (e === 'all') return 'all';
  return e.map((d) => `${d.cidr}${d.port !== undefined ? `:${d.port}` : ''}${d.proto ? `/${d.proto}` : ''}`).join(', ');
}

/** egressAllows: may a member with egress E send to IP:PORT/PROTO beyond its network? */
export function egressAllows(e: Egress | undefined, ip: string, port: number, proto: 'tcp' | 'udp'): boolean {
  if (e === 'all') return true;
  if (!e || !/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return false;
  return e.some((d) => {
    const [net, bits] = d.cidr.split('/');
    const size = 2 ** (32 - Number(bits));
    return Math.floor(ipNum(ip) / size) === Math.floor(ipNum(net!) / size) && (d.port === undefined || d.port === port) && (d.proto === undefined || d.proto === proto);
  });
}
