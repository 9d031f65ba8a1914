// cli/commands/run.ts — `tssandbox run`: docker's flags, sandboxed by default (CLI process)
import type { Command } from 'commander';
import type { RunOptions } from '../../sandbox/flags.js';

const collect = (v: string, prev: string[]) => [...prev, v];

export function register(program: Command): void {
  program
    .command('run')
    .description('run a command in a new sandboxed container (foreground by default)')
    .argument('<image>', 'image reference, id or id prefix')
    .argument('[command...]', 'command and arguments (default: the image\'s Entrypoint and Cmd)')
    .option('--profile <name|file>', 'security profile: strict, default, lab, learn, unconfined or a file', 'strict')
    .option('--rm', 'remove the container when it exits', false)
    .option('-d, --detach', 'run in the background and print the container id', false)
    .option('--name <name>', 'container name')
    .option('-e, --env <K=V>', 'set an environment variable (repeatable)', collect, [])
    .option('--env-file <file>', 'read environment variables from a file (repeatable)', collect, [])
    .option('-v, --volume <src:dst[:ro]>', 'bind a host path into the container (repeatable)', collect, [])
    .option('--tmpfs <dst[:opts]>', 'mount a tmpfs (repeatable)', collect, [])
    .option('-p, --publish <host:ctr>', 'publish a container port (repeatable)', collect, [])
    .option('-P, --publish-all', 'publish every port the image EXPOSEs on a free host port', false)
    .option('--network <mode>', 'none, host or a lab network name')
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <uid[:gid]>', 'user (name or id) and group to run as')
    .option('--group-add <group>', 'additional group (repeatable)', collect, [])
    .option('-i, --interactive', 'keep stdin open and copy it to the container', false)
    .option('-t, --tty', 'give the container a terminal', false)
    .option('--entrypoint <cmd>', 'override the image\'s entrypoint')
    .option('--hostname <name>', 'container host name')
    .option('--add-host <host:ip>', 'add a line to /etc/hosts (repeatable)', collect, [])
    .option('--dns <ip>', 'DNS server for /etc/resolv.conf (repeatable)', collect, [])
    .option('--dns-search <domain>', 'search domain for /etc/resolv.conf (repeatable; replaces the host\'s)', collect, [])
    .option('--dns-option <opt>', 'resolver option for /etc/resolv.conf, e.g. ndots:2 (repeatable; replaces the host\'s)', collect, [])
    .option('--memory <bytes>', 'memory limit (e.g. 256m)')
    .option('--memory-swap <bytes>', 'memory+swap limit; -1 for unlimited swap')
    .option('--cpus <n>', 'CPU quota in CPUs (e.g. 0.5)')
    .option('--cpuset-cpus <list>', 'CPUs the container may use (e.g. 0-1)')
    .option('--pids-limit <n>', 'maximum number of processes')
    .option('--ulimit <name=soft[:hard]>', 'rlimit (repeatable)', collect, [])
    .option('--shm-size <bytes>', 'size of /dev/shm')
    .option('--cgroup-parent <path>', 'parent cgroup for the container')
    .option('--read-only', 'mount the root filesystem read-only')
    .option('--read-write', 'make the root filesystem writable (where the profile allows it)')
    .option('--cap-add <cap>', 'add a capability where the profile allows it (repeatable)', collect, [])
    .option('--cap-drop <cap>', 'drop a capability (repeatable)', collect, [])
    .option('--security-opt <opt>', 'security option (repeatable)', collect, [])
    .option('--init', 'run a tiny init as pid 1 that reaps and forwards signals', false)
    .option('--timeout <seconds>', 'kill the container after this many seconds')
    .option('--privileged', 'refused: tssandbox never runs privileged containers', false)
    .option('--scan <mode>', 'scan the image first: off, warn or enforce', 'off')
    .option('--audit-log <path>', 'write the audit log to PATH (a new file; its anchor beside it): it is kept when the container is removed')
    .option('--audit-key <file>', 'HMAC key file (private: mode 0600): every audit line carries an hmac, checked by audit verify --key')
    .option('--supervisor <mode>', 'how audited syscalls are stopped: auto (notify unless a listener cannot be had), notify or ptrace', 'auto')
    .passThroughOptions()
    .action(async (image: string, command: string[], f: Record<string, unknown>) => {
      const o: RunOptions = {
        image, command, profile: f.profile as string, rm: Boolean(f.rm), detach: Boolean(f.detach),
        env: f.env as string[], envFile: f.envFile as string[], volumes: f.volume as string[], tmpfs: f.tmpfs as string[],
        publish: f.publish as string[], groupAdd: f.groupAdd as string[], interactive: Boolean(f.interactive), tty: Boolean(f.tty),
        addHost: f.addHost as string[], dns: f.dns as string[], dnsSearch: f.dnsSearch as string[], dnsOption: f.dnsOption as string[], ulimit: f.ulimit as string[], capAdd: f.capAdd as string[],
        capDrop: f.capDrop as string[], securityOpt: f.securityOpt as string[], init: Boolean(f.init), privileged: Boolean(f.privileged),
        scan: String(f.scan), publishAll: Boolean(f.publishAll), supervisor: String(f.supervisor),
        ...(f.readOnly ? { readOnly: true } : f.readWrite ? { readOnly: false } : {}),
        ...pick(f, ['name', 'network', 'workdir', 'user', 'entrypoint', 'hostname', 'memory', 'memorySwap', 'cpus', 'cpusetCpus', 'pidsLimit', 'shmSize', 'cgroupParent', 'timeout', 'auditLog', 'auditKey']),
      };
      const root = (program.opts() as { root?: string }).root;
      if (o.detach) {
        const { runDetached } = await import('../../sandbox/run.js');
        // -dit is common in tutorials: the pty stays (its output is logged), stdin is /dev/null
        // but never copied, so a shell waits on its terminal instead of reading EOF and exiting
        const d = await runDetached({ ...o, interactive: false }, root);
        process.stdout.write(`${d.id}\n`);
        return;
      }
      const { runForeground } = await import('../../sandbox/run.js');
      const r = await runForeground(o, root);
      process.exitCode = r.code;
    });
}

function pick(f: Record<string, unknown>, keys: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) if (typeof f[k] === 'string') out[k] = f[k] as string;
  return out;
}
