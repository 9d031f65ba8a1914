// test/network/publish.test.ts — -P publishes EXPOSEd ports on free host ports; a foreground run publishes too and cleans up when it ends (tests, root)
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { busyboxMissing, busyboxRootfs } from '../helpers/busybox-rootfs.js';
import type { Member } from '../helpers/image-archives.js';
import { CLI } from '../helpers/paths.js';
import { Sandbox } from '../helpers/sandbox.js';
import { HostNs, rootOrToolsMissing } from './host-ns.js';

const skip = rootOrToolsMissing() || busyboxMissing();
const applets: Member[] = ['httpd', 'sleep'].map((a) => ({ name: `./bin/${a}`, type: 'symlink', linkname: 'busybox' }));

async function fetch(host: HostNs, url: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const r = host.exec('busybox', ['wget', '-q', '-O-', url]);
    if (r.code === 0) return r.stdout;
    await new Promise((res) => setTimeout(res, 100));
  }
  return '';
}

t.test('-P and foreground -p', { skip }, async (t) => {
  const sb = new Sandbox('net-publish');
  const host = new HostNs('publish');
  t.teardown(() => { for (const n of ['pp', 'fg']) host.cli(sb, ['rm', '-f', n]); host.remove(); sb.cleanup(); });
  sb.importTar(await busyboxRootfs(applets), 'web', ['EXPOSE 80']);
  const www = sb.path('www');
  mkdirSync(www);
  writeFileSync(`${www}/index.html`, 'exposed\n');

  const pp = host.cli(sb, ['run', '-d', '-P', '--name', 'pp', '-v', `${www}:/www:ro`, 'web', 'httpd', '-f', '-p', '80', '-h', '/www']);
  t.equal(pp.code, 0, pp.stderr);
  const line = host.cli(sb, ['port', 'pp']).stdout;
  const m = /^80\/tcp -> 0\.0\.0\.0:(\d+)\n$/.exec(line);
  t.ok(m, `-P published the EXPOSEd port on a free host port: ${line}`);
  t.equal(await fetch(host, `http://127.0.0.1:${m?.[1]}/`), 'exposed\n', 'and it serves');
  t.equal(host.cli(sb, ['rm', '-f', 'pp']).code, 0);

  // foreground: the CLI is the supervisor and owns the proxy
  const fg = spawn('nsenter', [`--net=${host.path}`, process.execPath, CLI, 'run', '--rm', '--name', 'fg', '--cgroup-parent', sb.cgroupParent, '-p', '127.0.0.1:18191:80', '-v', `${www}:/www:ro`, 'web', 'httpd', '-f', '-p', '80', '-h', '/www'], { env: sb.env(), stdio: 'ignore' });
  const ended = new Promise<number | null>((res) => fg.on('close', (code) => res(code)));
  t.equal(await fetch(host, 'http://127.0.0.1:18191/'), 'exposed\n', 'a foreground run publishes its port');
  t.equal(host.cli(sb, ['kill', 'fg']).code, 0);
  t.equal(await ended, 137, 'killed');
  t.equal(spawnSync('pgrep', ['-f', 'portproxy .*:18191:']).status, 1, 'the foreground run stopped its proxy');
  t.same(sb.leftovers(), [], 'nothing left');
});
