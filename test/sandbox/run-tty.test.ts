// test/sandbox/run-tty.test.ts — -t and -i through a terminal the test owns: a pty in the container's own devpts, no TIOCSTI into the caller, the caller's stdin left blocking (tests, root)
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { busyboxMissing } from '../helpers/busybox-rootfs.js';
import { BUILD, CLI, REPO_ROOT } from '../helpers/paths.js';
import { rootMissing, Sandbox } from '../helpers/sandbox.js';

const PTY = join(REPO_ROOT, 'test', 'helpers', 'pty-run.py');
const TIOCSTI = join(BUILD, 'fixtures', 'tiocsti');
const skip = rootMissing() || busyboxMissing() || (existsSync(TIOCSTI) ? false : `${TIOCSTI} not built (npm run build)`);
if (skip) t.plan(0, skip);
else {
  const sb = new Sandbox('tty');
  t.teardown(() => sb.cleanup());
  await sb.importBusybox('bb');
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const nonblock = `python3 -c "import fcntl,os;print('NONBLOCK', bool(fcntl.fcntl(0,fcntl.F_GETFL)&os.O_NONBLOCK))"`;
  const onPty = (script: string, input = '', timeout = 30) => execFileSync('python3', [PTY, String(timeout), Buffer.from(input).toString('hex'), 'sh', '-c', script], {
    env: sb.env(), encoding: 'utf8', timeout: (timeout + 10) * 1000,
  });
  const run = `${q(process.execPath)} ${q(CLI)} run --cgroup-parent ${sb.cgroupParent}`;

  t.test('-it: an interactive shell on the container\'s own terminal', async (t) => {
    const out = onPty(`${run} -it --rm bb sh; echo "status=$?"; ${nonblock}`, 'tty; echo "sum=$((40+2))"; exit 3\n');
    t.match(out, /\/dev\/pts\/0/, 'the payload\'s terminal is pts 0 of its own devpts instance');
    t.match(out, /sum=42/, 'typed input reaches the shell and its output comes back');
    t.match(out, /status=3/, 'the exit status comes through');
    t.match(out, /NONBLOCK False/, 'the caller\'s terminal is not left non-blocking');
  });

  t.test('-t: TIOCSTI in the container injects nothing into the caller\'s terminal', async (t) => {
    const out = onPty(`${run} -t --rm -v ${TIOCSTI}:/tiocsti:ro bb /tiocsti; line=; read -t 2 line; echo "CALLER-READ:[$line]"`);
    t.match(out, /tiocsti: \d+ of 14 bytes pushed/, 'the fixture ran');
    t.match(out, /tiocsti: 0 of 14 bytes pushed, error Operation not permitted/, 'strict\'s filter denies TIOCSTI');
    t.match(out, /CALLER-READ:\[\]/, 'the caller\'s shell read nothing');
    t.notMatch(out, /^INJECTED/m, 'no injected command ran');
  });

  t.test('-i without -t through a terminal: the caller\'s stdin stays blocking', async (t) => {
    const out = onPty(`echo hi | ${run} -i --rm bb cat; ${run} -i --rm bb true < /dev/tty; ${nonblock}`);
    t.match(out, /^hi\r?$/m, 'piped stdin reaches the payload');
    t.match(out, /NONBLOCK False/, 'fd 0 of the caller is not left O_NONBLOCK');
  });

  t.test('nothing is left behind', async (t) => {
    t.same(sb.leftovers(), []);
  });
}
