// cli/commands/network.ts — `network create|ls|inspect|rm|connect|disconnect` (lab networks) and `port` (published ports) (CLI process)
import { isRootless } from '../../sandbox/rootless.js';
import type { Command } from 'commander';
import { fail } from '../../common/errors.js';

const out = (s: string) => process.stdout.write(s);

export function register(program: Command): void {
  const root = () => (program.opts() as { root?: string }).root;

  program.command('port').description('list a container\'s published ports (docker port)')
    .argument('<container>', 'container name, id or id prefix')
    .argument('[port]', 'only this container port, as PORT or PORT/PROTO')
    .action(async (ref: string, want: string | undefined) => {
      const { context, find } = await import('../../sandbox/lifecycle.js');
      const { readBoundPorts } = await import('../../sandbox/network/proxy.js');
      const { formatPort } = await import('../../sandbox/network/ports.js');
      const ctx = context(root());
      const c = find(ctx, ref, 'port');
      let ports = c.state.status === 'running' ? readBoundPorts(c.dir) : [];
      if (want !== undefined) {
        const m = /^(\d+)(?:\/(tcp|udp))?$/.exec(want);
        if (!m) fail('TSS_EUSAGE', 'parse', `port ${want}`, 'expected PORT or PORT/tcp|udp');
        ports = ports.filter((p) => p.ctrPort === Number(m[1]) && p.proto === (m[2] ?? 'tcp'));
        if (!ports.length) fail('TSS_ECONTAINER', 'port', `${ref} ${want}`, 'no such published port');
        out(ports.map((p) => `${p.hostIp.includes(':') ? `[${p.hostIp}]` : p.hostIp}:${p.hostPort}\n`).join(''));
        return;
      }
      out(ports.map((p) => `${formatPort(p)}\n`).join(''));
    });

  const net = program.command('network').description('lab networks: containers on one reach each other by name');
  // every network command first removes what crashed members left (stale namespaces, uplinks, nft tables)
  const lab = async () => {
    if (isRootless()) fail('TSS_ENETWORK', 'use', 'network', 'lab networks need root (rootless runs publish ports with -p through slirp4netns)');
    const m = await import('../../sandbox/network/lab.js');
    m.reapNetworks();
    return m;
  };
  net.command('create').description('create a lab network')
    .argument('<name>')
    .option('--subnet <cidr>', 'IPv4 subnet, e.g. 10.89.3.0/24 (default: a free /24 in 10.89.0.0/16)')
    .option('--internal', 'no traffic leaves the network', false)
    .option('--ipv6', 'members get IPv6 addresses too (a ULA /64 unless --subnet6); IPv6 stays inside the network', false)
    .option('--subnet6 <cidr>', 'the IPv6 /64 (with --ipv6), e.g. fd00:89:1::/64')
    .action(async (name: string, o: { subnet?: string; internal: boolean; ipv6: boolean; subnet6?: string }) => {
      const n = (await lab()).createNetwork(root(), name, { ...(o.subnet ? { subnet: o.subnet } : {}), internal: o.internal, ipv6: o.ipv6, ...(o.subnet6 ? { subnet6: o.subnet6 } : {}) });
      out(`${n.id}\n`);
    });
  net.command('ls').alias('list').description('list lab networks')
    .option('-q, --quiet', 'only names', false)
    .option('--format <fmt>', 'table or json', 'table')
    .action(async (o: { quiet: boolean; format: string }) => {
      const m = await lab();
      const nets = m.listNetworks(root());
      if (o.quiet) { out(nets.map((n) => `${n.name}\n`).join('')); return; }
      if (o.format === 'json') { out(nets.map((n) => `${JSON.stringify(n)}\n`).join('')); return; }
      const { table } = await import('../../image/format.js');
      out(table(['NETWORK ID', 'NAME', 'SUBNET', 'INTERNAL', 'CONTAINERS'], nets.map((n) => [n.id.slice(0, 12), n.name, n.subnet, String(n.internal), String(m.members(n.name).length)])));
    });
  net.command('inspect').description('show lab networks as JSON, with their containers')
    .argument('<name...>')
    .action(async (names: string[]) => {
      const m = await lab();
      out(`${JSON.stringify(names.map((n) => m.inspectNetwork(root(), n)), null, 2)}\n`);
    });
  // a running container (docker's order: NETWORK CONTAINER)
  const running = async (ref: string, action: string) => {
    const { context, find } = await import('../../sandbox/lifecycle.js');
    const { stateDirOf } = await import('../../sandbox/containers.js');
    const ctx = context(root());
    const c = find(ctx, ref, action);
    if (c.state.status !== 'running') fail('TSS_ECONTAINER', action, ref, 'the container is not running');
    return { id: c.config.id, name: c.config.name, stateDir: stateDirOf(ctx.run, c.config.id), spec: c.config.spec };
  };
  net.command('connect').description('connect a running lab container to another lab network (it gets ethN; names updated for everyone)')
    .argument('<network>').argument('<container>')
    .action(async (network: string, ref: string) => {
      await lab();
      const c = await running(ref, 'network connect');
      const { connectLab } = await import('../../sandbox/network/lab-connect.js');
      connectLab(root(), c, network);
    });
  net.command('disconnect').description('disconnect a running container from a lab network')
    .argument('<network>').argument('<container>')
    .action(async (network: string, ref: string) => {
      await lab();
      const c = await running(ref, 'network disconnect');
      const { leaveNetwork } = await import('../../sandbox/network/lab-leave.js');
      leaveNetwork(c.stateDir, network, c.name);
    });
  net.command('rm').alias('remove').description('remove lab networks (refused while a container is on one)')
    .argument('<name...>')
    .option('-f, --force', 'remove even with containers on it (they lose their network)', false)
    .action(async (names: string[], o: { force: boolean }) => {
      const m = await lab();
      for (const n of names) { m.removeNetwork(root(), n, o.force); out(`${n}\n`); }
    });
}
