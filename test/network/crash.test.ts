// test/network/crash.test.ts — a supervisor killed with SIGKILL: its proxy dies with it, the next command removes the namespace mount, the lab membership and the network's runtime pieces (tests, root)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import type { Member } from '../helpers/image-archives.js';
import { Sandbox } from '../helpers/sandbox.js';
import { HostNs, rootOrToolsMissing } from './host-ns.js';

const skip = rootOrToolsMissing() || busyboxMissing();

t.test('crashed supervisors leave nothing of the network behind', { skip }, async (t) => {
  const sb = new Sandbox('net-crash');
  const host = new HostNs('crash');
  t.teardown(() => { for (const n of ['p1', 'l1']) host.cli(sb, ['rm', '-f', n]); host.cli(sb, ['network', 'rm', '-f', 'crashnet']); host.remove(); sb.cleanup(); });
  await sb.importBusybox('busybox', [{ name: './bin/sleep', type: 'symlink', linkname: 'busybox' }] as Member[]);
  const links = host.links();
  const nft = host.nftTables();
  t.equal(host.cli(sb, ['network', 'create', 'crashnet']).code, 0);
  const ids: string[] = [];
  for (const args of [['--name', 'p1', '-p', '127.0.0.1:18181:80'], ['--name', 'l1', '--profile', 'lab', '--network', 'crashnet']]) {
    const r = host.cli(sb, ['run', '-d', ...args, 'busybox', 'sleep', '300']);
    t.equal(r.code, 0, r.stderr);
    ids.push(r.stdout.trim());
  }
  t.not(host.nftTables(), nft, 'the network\'s uplink has its nft table while l1 runs');
  t.match(spawnSync('pgrep', ['-f', 'portproxy .*:18181:'], { encoding: 'utf8' }).stdout, /\d/, 'p1 has its proxy');
  for (const id of ids) {
    const st = JSON.parse(readFileSync(join(sb.root, 'containers', id, 'state.json'), 'utf8')) as { supervisor?: { pid: number } };
    t.ok(st.supervisor?.pid, 'the state names the supervisor');
    process.kill(st.supervisor!.pid, 'SIGKILL');
  }
  // the proxy and the payload die by PDEATHSIG; wait for the proxy, not for a clock
  for (let i = 0; i < 100 && spawnSync('pgrep', ['-f', 'portproxy .*:18181:']).status === 0; i++) await new Promise((r) => setTimeout(r, 50));
  t.equal(spawnSync('pgrep', ['-f', 'portproxy .*:18181:']).status, 1, 'the proxy died with its supervisor');

  const next = host.cli(sb, ['run', '--rm', 'busybox', 'true']); // the next run (or lifecycle command) reaps what dead runs left
  t.equal(next.code, 0, next.stderr);
  t.same(sb.leftovers(), [], 'no state dir, id range, cgroup or namespace mount left');
  t.same(host.links(), links, 'no uplink left in the host namespace');
  t.equal(host.nftTables(), nft, 'no nft table left');
  const nets = join(sb.runRoot, 'networks', 'crashnet');
  t.notOk(existsSync(join(nets, 'ns')), 'the network\'s namespace file is gone');
  t.same(existsSync(join(nets, 'members')) ? readdirSync(join(nets, 'members')) : [], [], 'no member left');
  t.equal(host.cli(sb, ['network', 'rm', 'crashnet']).code, 0, 'the network can be removed without -f');
});
