// test/oci/exec-audit.test.ts — `exec` into an audited OCI container (strict by annotation) is audited in STATE/.audit/<id>.ndjson: exec.started with argv, its execve and denied unshare tagged with the session, exec.exited; foreground and --detach (tests, root)
import t, { type Test } from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import { CLI } from '../helpers/paths.js';
import { OciEnv, rootMissing } from './bundle.js';

const notifMissing = (): string | false => {
  try { return readFileSync('/proc/sys/kernel/seccomp/actions_avail', 'utf8').includes('user_notif') ? false : 'no seccomp user notification in this kernel'; } catch { return 'no /proc/sys/kernel/seccomp/actions_avail'; }
};
const skip = rootMissing() || busyboxMissing() || notifMissing();

interface Line { event: string; seq: number; exec?: string | { id: string; argv?: string[]; code?: number | null }; proc?: { argv?: string[] }; syscall?: { name: string; errno?: string }; decision?: { action: string; rule?: string } }

if (skip) t.plan(0, skip);
else {
  const env = new OciEnv('execaud');
  t.teardown(() => env.cleanup());
  const audit = (args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, '--root', env.state, 'audit', ...args], { env: env.env(), encoding: 'utf8', timeout: 60_000 });
    return { code: r.status ?? 137, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const logOf = (id: string) => readFileSync(`${env.state}/.audit/${id}.ndjson`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);

  /** the session of the exec whose argv ends with `marker`: started, its lines, exited — in the container's own chain */
  const checkSession = (t: Test, lines: Line[], cmd: string, code: number): string => {
    const started = lines.filter((l) => l.event === 'exec.started' && JSON.stringify((l.exec as { argv?: string[] }).argv) === JSON.stringify(['sh', '-c', cmd]));
    t.equal(started.length, 1, 'one exec.started with the exec\'s argv');
    const sid = (started[0]?.exec as { id: string } | undefined)?.id ?? '-';
    const mine = lines.filter((l) => l.exec === sid);
    const argvs = mine.filter((l) => l.syscall?.name === 'execve').map((l) => JSON.stringify(l.proc?.argv));
    t.ok(argvs.includes(JSON.stringify(['sh', '-c', cmd])), 'the exec\'s own execve, tagged with its session');
    t.ok(argvs.includes(JSON.stringify(['cat', '/etc/hostname'])), 'a child\'s execve, tagged with the session');
    const un = mine.find((l) => l.syscall?.name === 'unshare');
    t.equal(un?.decision?.action, 'deny', 'the unshare is denied and recorded for the session');
    t.match(un?.decision?.rule, /^profiles\/(strict|base\/always|base\/docker-default)\.yaml:\d+$/, 'with its rule file:line');
    const exited = lines.find((l) => l.event === 'exec.exited' && (l.exec as { id: string }).id === sid);
    t.equal((exited?.exec as { code?: number | null } | undefined)?.code, code, 'exec.exited with the exec\'s exit code');
    t.ok(started[0] && un && exited && lines.indexOf(started[0]) < lines.indexOf(un) && lines.indexOf(un) < lines.indexOf(exited), 'started, its syscalls, exited, in that order');
    t.same(lines.map((l) => l.seq), lines.map((_, i) => i + 1), 'one writer: the exec lines are in the container\'s chain');
    return sid;
  };

  t.test('exec CMD and exec --detach into a strict-annotated container: its syscalls are in the container\'s log, show --exec and verify find them', async (t) => {
    const b = await env.bundle('strict', (c) => {
      c.annotations = { 'org.tssandbox.profile': 'strict' };
      c.process.args = ['busybox', 'sleep', '1000'];
    });
    const id = env.newId('execaud');
    const run = env.create(id, b, `${env.dir}/${id}.out`);
    t.equal(await run.created, 0, 'create succeeds');
    t.equal(env.oci(['start', id]).code, 0, 'start');

    const CMD = 'cat /etc/hostname; unshare -U true; echo "unshare=$?"';
    const ex = env.oci(['exec', id, 'sh', '-c', CMD]);
    t.equal(ex.code, 0, ex.stderr);
    t.match(ex.stdout, /unshare=1/, 'the exec ran under strict (unshare refused)');
    const sid = checkSession(t, logOf(id), CMD, 0);

    // --detach (conmon, the shim): exec-main hands the listener over; its exit comes once it ended
    const CMD2 = 'cat /etc/hostname >/dev/null; unshare -U true; exit 3';
    const pf = `${env.dir}/${id}.exec.pid`;
    const dx = env.oci(['exec', '--detach', '--pid-file', pf, id, 'sh', '-c', CMD2]);
    t.equal(dx.code, 0, dx.stderr);
    // the detached exec's supervisor exits once the process did and the exit is reported
    const pid = Number(readFileSync(pf, 'utf8'));
    for (let i = 0; i < 1200 && existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8')); i++) await new Promise((r) => setTimeout(r, 100));
    checkSession(t, logOf(id), CMD2, 3);

    const show = audit(['show', id, '--exec', sid]);
    t.equal(show.code, 0, show.stderr);
    t.match(show.stdout, /execve.*cat \/etc\/hostname/, 'audit show --exec lists the exec\'s execve with its argv');
    t.notMatch(show.stdout, /exit 3/, 'and only that session\'s lines');
    const v = audit(['verify', id]);
    t.equal(v.code, 0, v.stdout + v.stderr);

    env.oci(['kill', id, 'KILL']);
    await run.exited;
    t.equal(env.oci(['delete', id]).code, 0, 'delete');
    t.same(env.leftovers([id]), [], 'nothing left');
  });
}
