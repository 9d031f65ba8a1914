// test/oci/dispatch.test.ts — which argv is a runc caller's, runc-style flag parsing, and `features`/`spec` output against the runtime-spec schemas (tests, no root)
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOciInvocation } from '../../cli/oci-main.js';
import { parseOciArgs } from '../../oci/args.js';
import { ConfigSchema } from '../../oci/config.js';
import { CLI } from '../helpers/paths.js';
import { FeaturesSchema } from './runtime-spec-schemas.js';

const dir = mkdtempSync(join(tmpdir(), 'tss-oci-dispatch-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const root = () => dir;

t.test('runc-only verbs and flags choose OCI mode; docker verbs stay docker', async (t) => {
  for (const a of [['create', '--bundle', '/b', 'x'], ['start', 'x'], ['state', 'x'], ['delete', '--force', 'x'], ['features'], ['spec'], ['list'],
    ['--root', '/run/runc', '--log', '/l', '--log-format', 'json', 'kill', 'x', '9'], ['--systemd-cgroup', 'kill', 'x'],
    ['exec', '--process', '/p.json', '--detach', 'x'], ['kill', '--all', 'x', 'KILL'], ['--version']]) {
    t.ok(isOciInvocation(a, root), a.join(' '));
  }
  for (const a of [['kill', 'web'], ['exec', '-it', 'web', 'sh'], ['ps', '-a'], ['run', '--rm', 'img'], ['--root', '/var/lib/tssandbox', 'kill', 'web'], ['images'], []]) {
    t.notOk(isOciInvocation(a, root), `docker: ${a.join(' ')}`);
  }
  // an id naming a container in the OCI state root is the OCI one (podman calls `kill ID 15` bare)
  mkdirSync(join(dir, 'c1'));
  writeFileSync(join(dir, 'c1', 'state.json'), '{}');
  t.ok(isOciInvocation(['kill', 'c1', '15'], root), 'kill of an OCI container id');
  t.notOk(isOciInvocation(['kill', 'c2', '15'], root), 'kill of another id stays docker');
});

t.test('runc-style flags: --flag value, --flag=value, -flag, unknown booleans accepted', async (t) => {
  const a = parseOciArgs(['--root=/r', '-log', '/l', '--systemd-cgroup', 'create', '--bundle', '/b', '--no-new-keyring', '--pid-file=/p', 'id1']);
  t.equal(a.globals.get('root'), '/r');
  t.equal(a.globals.get('log'), '/l');
  t.equal(a.globals.get('systemd-cgroup'), true);
  t.equal(a.verb, 'create');
  t.equal(a.flags.get('bundle'), '/b');
  t.equal(a.flags.get('pid-file'), '/p');
  t.same(a.operands, ['id1']);
  const e = parseOciArgs(['exec', '--tty', 'id1', 'sh', '-c', 'echo --x']);
  t.same(e.operands, ['id1', 'sh', '-c', 'echo --x'], 'after the id, everything is the command');
  t.equal(parseOciArgs(['delete', '-f', 'x']).flags.get('f'), true, '-f is a boolean (force)');
});

t.test('features validates against the runtime-spec features schema', async (t) => {
  const r = spawnSync(process.execPath, [CLI, 'features'], { encoding: 'utf8' });
  t.equal(r.status, 0);
  const v = FeaturesSchema.safeParse(JSON.parse(r.stdout));
  t.ok(v.success, v.success ? 'valid' : v.error.message);
  t.ok(v.data?.linux?.seccomp?.actions?.includes('SCMP_ACT_NOTIFY'));
});

t.test('spec writes a config.json our own front end accepts, and refuses to overwrite one', async (t) => {
  const b = join(dir, 'bundle');
  mkdirSync(b);
  t.equal(spawnSync(process.execPath, [CLI, 'spec', '--bundle', b]).status, 0);
  const c = ConfigSchema.safeParse(JSON.parse(readFileSync(join(b, 'config.json'), 'utf8')));
  t.ok(c.success, 'config.json parses');
  const again = spawnSync(process.execPath, [CLI, 'spec', '--bundle', b], { encoding: 'utf8' });
  t.equal(again.status, 1);
  t.match(again.stderr, /exists/);
  const v = spawnSync(process.execPath, [CLI, '--version'], { encoding: 'utf8' });
  t.match(v.stdout, /^tssandbox version .*\nspec: 1\.0\.2\n$/);
});
