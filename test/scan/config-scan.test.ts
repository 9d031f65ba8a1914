// test/scan/config-scan.test.ts — the image config and history: user, ports, tags, trust, secrets in Env/Labels/created_by (pure)
import t from 'tap';
import { scanConfig } from '../../image/scan/config-scan.js';
import { rnd } from './corpus.js';

const ID = `sha256:${'a1'.repeat(32)}`;
const rules = (fs: ReturnType<typeof scanConfig>): string[] => fs.map((f) => `${f.rule} ${f.path}${f.line ? `:${f.line}` : ''}`).sort();

t.test('history created_by: every entry scanned, reported by index', async (t) => {
  const fs = scanConfig({ ref: 'x/y:1', id: ID, config: { User: 'app' }, history: [
    { created_by: '/bin/sh -c #(nop) ADD file:abc in /' },
    { created_by: `/bin/sh -c echo "//registry.npmjs.org/:_authToken=${rnd(36)}" > ~/.npmrc` },
    { created_by: `/bin/sh -c curl -H "Authorization: token ghp_${rnd(36)}" https://api.github.com` },
  ] });
  t.same(rules(fs).filter((r) => r.startsWith('secret.')), ['secret.github-pat history[2]:1', 'secret.npmrc-auth history[1]:1'].sort());
});

t.test('user, ports, latest, digest', async (t) => {
  t.same(rules(scanConfig({ ref: 'x/y', id: ID, config: {}, history: [] })), ['config.latest-tag ref', 'config.root-user config:User', 'trust.tag-not-digest ref']);
  t.same(rules(scanConfig({ ref: 'x/y:2', id: ID, config: { User: '0:0', ExposedPorts: { '23/tcp': {}, '2375/tcp': {}, '443/tcp': {} } }, history: [] })),
    ['config.remote-access-port config:ExposedPorts', 'config.remote-access-port config:ExposedPorts', 'config.root-user config:User', 'trust.tag-not-digest ref']);
  t.same(rules(scanConfig({ ref: `x/y@sha256:${'b2'.repeat(32)}`, id: ID, config: { User: 'nobody' }, history: [] })), [], 'by digest, non-root: clean');
  t.same(rules(scanConfig({ ref: 'x/y:3', id: ID, config: { User: 'nobody' }, history: [], trustedDigests: [`sha256:${'c3'.repeat(32)}`] })),
    ['trust.untrusted-digest ref'], 'not in the trusted list: high, and no duplicate tag finding');
  t.same(rules(scanConfig({ ref: 'x/y:3', id: ID, config: { User: 'nobody' }, history: [], manifestDigest: `sha256:${'c3'.repeat(32)}`, trustedDigests: [`sha256:${'c3'.repeat(32)}`] })), [], 'trusted manifest digest');
});

t.test('secret-looking ENV names are configuration; placeholder values are not secrets', async (t) => {
  const fs = scanConfig({ ref: 'x/y:1', id: ID, config: { User: 'app', Env: ['API_TOKEN=${API_TOKEN}', 'PATH=/bin', 'DB_PASSWORD='] }, history: [] });
  t.same(rules(fs), ['config.secret-env-name config:Env', 'trust.tag-not-digest ref']);
});
