// sandbox/network/ports.ts — `-p [IP:]HOST:CTR[/tcp|udp]` and `-P`: parsing and the spec annotation that carries them (parent, pure)
import { fail } from '../../common/errors.js';

export interface PortSpec {
  readonly proto: 'tcp' | 'udp';
  /** host address to listen on ('0.0.0.0' as docker, or an IPv4/IPv6 address) */
  readonly hostIp: string;
  /** 0: any free port (the proxy reports which) */
  readonly hostPort: number;
  readonly ctrPort: number;
}

/** the spec annotation holding the published ports (JSON PortSpec[]) */
export const ANN_PORTS = 'io.tssandbox.ports';

function port(flag: string, v: string, zeroOk: boolean): number {
  if (!/^\d{1,5}$/.test(v) || Number(v) > 65535 || (!zeroOk && Number(v) === 0)) fail('TSS_EUSAGE', 'parse', flag, `${v || '(empty)'} is not a port number`);
  return Number(v);
}

function isIp(s: string): boolean {
  return /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(s) || (/^[0-9a-fA-F:]+$/.test(s) && s.includes(':'));
}

/** parsePublish reads docker's -p: CTR, HOST:CTR, IP:HOST:CTR, IP::CTR, [V6]:HOST:CTR, each with /tcp or /udp. */
export function parsePublish(spec: string): PortSpec {
  const flag = `-p ${spec}`;
  let s = spec, proto: 'tcp' | 'udp' = 'tcp';
  const slash = s.lastIndexOf('/');
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (p !== 'tcp' && p !== 'udp') fail('TSS_EUSAGE', 'parse', flag, `unknown protocol ${p} (tcp or udp)`);
    proto = p; s = s.slice(0, slash);
  }
  let ip = '0.0.0.0';
  if (s.startsWith('[')) {
    const e = s.indexOf(']:');
    if (e < 0) fail('TSS_EUSAGE', 'parse', flag, 'expected [IPV6]:HOST:CTR');
    ip = s.slice(1, e); s = s.slice(e + 2);
  } else if (s.split(':').length === 3) {
    ip = s.slice(0, s.indexOf(':')); s = s.slice(s.indexOf(':') + 1);
  }
  if (!isIp(ip)) fail('TSS_EUSAGE', 'parse', flag, `${ip} is not an IP address`);
  const parts = s.split(':');
  if (parts.length > 2 || parts.some((x) => x.includes('-'))) fail('TSS_EUSAGE', 'parse', flag, parts.some((x) => x.includes('-')) ? 'port ranges are not supported' : 'expected [IP:]HOST:CTR[/tcp|udp]');
  const ctrPort = port(flag, parts[parts.length - 1]!, false);
  const hostPort = parts.length === 2 && parts[0] !== '' ? port(flag, parts[0]!, false) : 0;
  return { proto, hostIp: ip, hostPort, ctrPort };
}

/** exposedPorts turns an image's ExposedPorts ({"80/tcp": {}}) into `-P` specs on free host ports. */
export function exposedPorts(exposed: Readonly<Record<string, unknown>> | undefined): PortSpec[] {
  return Object.keys(exposed ?? {}).map((k) => parsePublish(k.includes('/') ? k : `${k}/tcp`));
}

/** publishList: -p specs plus -P's, without duplicates of the same container port and protocol from -P. */
export function publishList(publish: readonly string[], all: boolean, exposed: Readonly<Record<string, unknown>> | undefined): PortSpec[] {
  const out = publish.map(parsePublish);
  if (all) for (const e of exposedPorts(exposed)) if (!out.some((o) => o.ctrPort === e.ctrPort && o.proto === e.proto)) out.push(e);
  const seen = new Set<string>();
  for (const p of out) {
    const k = `${p.proto}/${p.hostIp}/${p.hostPort}`;
    if (p.hostPort && seen.has(k)) fail('TSS_EUSAGE', 'parse', `-p ${p.hostIp}:${p.hostPort}/${p.proto}`, 'the host port is published twice');
    seen.add(k);
  }
  return out;
}

/** proxyArg renders a spec as portproxy reads it: PROTO:HOSTIP:HOSTPORT:CTRPORT (IPv6 in brackets). */
export function proxyArg(p: PortSpec): string {
  return `${p.proto}:${p.hostIp.includes(':') ? `[${p.hostIp}]` : p.hostIp}:${p.hostPort}:${p.ctrPort}`;
}

/** a published port as it is bound (the host port the proxy got) */
export interface BoundPort { readonly proto: 'tcp' | 'udp'; readonly hostIp: string; readonly hostPort: number; readonly ctrPort: number }

/** formatPort prints docker's `port` lines: "80/tcp -> 0.0.0.0:8080" */
export function formatPort(b: BoundPort): string {
  return `${b.ctrPort}/${b.proto} -> ${b.hostIp.includes(':') ? `[${b.hostIp}]` : b.hostIp}:${b.hostPort}`;
}
