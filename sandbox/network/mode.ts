// sandbox/network/mode.ts — `--network none|host|NAME`: which the profile allows, and the /etc files each mode gets (parent, pure but for reading the host's /etc)
import { readFileSync } from 'node:fs';
import { fail } from '../../common/errors.js';
import type { Profile } from '../../policy/types.js';
import { refuse } from '../loosen.js';

/** a lab network's name: docker's rule, and short enough for interface names derived from it */
export const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

/**
 * checkNetwork returns the mode a run gets: 'none' (a namespace of its own, loopback only), 'host',
 * or a lab network's name. A profile whose own network is host defaults to host; every other
 * profile (lab included: a lab container joins a lab network by name) defaults to none.
 */
export function checkNetwork(profile: Profile, flag: string | undefined): string {
  const network = flag ?? (profile.network === 'host' ? 'host' : 'none');
  if (network === 'host') {
    if (profile.network !== 'host' && !profile.loosen.networkHost) refuse('--network host', profile, 'loosen.networkHost', 'the container may not share the host network');
    return network;
  }
  if (network === 'none') return network;
  if (network === 'bridge' || network === 'default') fail('TSS_EUSAGE', 'run', `--network ${network}`, 'there is no default bridge: create a lab network (network create NAME) and name it');
  if (!NETWORK_NAME.test(network)) fail('TSS_EUSAGE', 'parse', `--network ${network}`, 'not a network name');
  if (profile.network !== 'lab' && !profile.loosen.networkLab) refuse(`--network ${network}`, profile, 'loosen.networkLab', 'the container may not join a lab network');
  return network;
}

/**
 * etcForMode adjusts the generated /etc files to the network mode. With the host's network the
 * container sees the host's /etc/hosts and every nameserver of the host's resolv.conf, loopback ones
 * included (they are reachable there: docker does the same). Without a network of its own beyond
 * loopback, a loopback nameserver would be the container's own loopback: those were dropped already.
 */
export function etcForMode(network: string, files: Record<string, string>, dnsGiven: boolean): Record<string, string> {
  // loopback only: no nameserver is reachable, so none is listed (a lookup fails at once, not by a
  // timeout); --dns is written as given, as docker does. A lab network's is made when it joins (dns.ts).
  if (network === 'none' && !dnsGiven) return { ...files, '/etc/resolv.conf': '' };
  if (network !== 'host') return files;
  const out = { ...files };
  try {
    const mine = files['/etc/hosts']!.split('\n').slice(3).join('\n'); // the --add-host lines after localhost, ::1 and the hostname
    out['/etc/hosts'] = `${readFileSync('/etc/hosts', 'utf8').replace(/\n?$/, '\n')}${mine}`;
  } catch { /* no host /etc/hosts: keep the generated one */ }
  if (!dnsGiven) {
    try { out['/etc/resolv.conf'] = readFileSync('/etc/resolv.conf', 'utf8'); } catch { /* keep */ }
  }
  return out;
}
