// test/network/host-ns.ts — a throwaway network namespace that plays the host (and one that plays "the world") for network tests (tests, root)
//
// The CLI, its detached supervisors and every bridge, veth and nft table it makes live in the
// namespace the CLI runs in: running it under `nsenter --net` of a namespace the test made keeps
// all of that out of the real host's namespace, and deleting the namespace takes what is left.
import { spawnSync } from 'node:child_process';
import type { Sandbox, Result } from '../helpers/sandbox.js';
import { CLI } from '../helpers/paths.js';

export class HostNs {
  readonly name: string;
  readonly path: string;
  constructor(label: string) {
    this.name = `tss-${label}-${process.pid}`;
    this.path = `/run/netns/${this.name}`;
    must('ip', ['netns', 'add', this.name]);
    must('ip', ['-n', this.name, 'link', 'set', 'lo', 'up']);
  }

  /** exec runs a host command inside this namespace */
  exec(cmd: string, args: string[], input = ''): Result {
    const r = spawnSync('nsenter', [`--net=${this.path}`, cmd, ...args], { encoding: 'utf8', input, timeout: 60_000 });
    return { code: r.status ?? 137, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** cli runs `tssandbox ARGS` for the sandbox inside this namespace (run gets the sandbox's cgroup parent) */
  cli(sb: Sandbox, args: string[]): Result {
    const a = args[0] === 'run' ? ['run', '--cgroup-parent', sb.cgroupParent, ...args.slice(1)] : args;
    const r = spawnSync('nsenter', [`--net=${this.path}`, process.execPath, CLI, ...a], { env: sb.env(), encoding: 'utf8', timeout: 120_000 });
    return { code: r.status ?? 137, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  links(): string[] {
    return this.exec('ip', ['-o', 'link']).stdout.split('\n').filter(Boolean).map((l) => l.split(':')[1]!.trim().replace(/@.*/, '')).sort();
  }

  nftTables(): string { return this.exec('nft', ['list', 'tables']).stdout.trim(); }

  remove(): void { spawnSync('ip', ['netns', 'del', this.name]); }
}

/** world: a second namespace behind the host one, 198.18.0.2 (the host end is 198.18.0.1); serves DIR over HTTP */
export function addWorld(host: HostNs, dir: string): { ns: HostNs; remove(): void } {
  const w = new HostNs('world');
  must('ip', ['-n', host.name, 'link', 'add', 'tsw0', 'type', 'veth', 'peer', 'name', 'tsw1', 'netns', w.name]);
  must('ip', ['-n', host.name, 'addr', 'add', '198.18.0.1/30', 'dev', 'tsw0']);
  must('ip', ['-n', host.name, 'link', 'set', 'tsw0', 'up']);
  must('ip', ['-n', w.name, 'addr', 'add', '198.18.0.2/30', 'dev', 'tsw1']);
  must('ip', ['-n', w.name, 'link', 'set', 'tsw1', 'up']);
  must('ip', ['-n', w.name, 'route', 'add', 'default', 'via', '198.18.0.1']);
  // a process keeps a namespace's interfaces alive after `ip netns del`: remember the server's pid to kill it
  const srv = spawnSync('sh', ['-c', `nsenter --net=${w.path} busybox httpd -f -p 198.18.0.2:80 -h ${dir} >/dev/null 2>&1 & echo $!`], { encoding: 'utf8' });
  const pid = Number(srv.stdout.trim());
  return { ns: w, remove: () => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } w.remove(); } };
}

export function rootOrToolsMissing(): string | false {
  if (process.geteuid?.() !== 0) return 'needs root';
  for (const t of ['ip', 'nsenter', 'unshare', 'nft', 'cc']) if (spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0) return `${t} missing (apt-get install iproute2 util-linux nftables gcc)`;
  return false;
}

function must(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}
