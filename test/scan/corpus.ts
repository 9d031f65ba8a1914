// test/scan/corpus.ts — a labelled corpus of fake credentials (made at run time, random) and decoys (tests)
//
// No literal here is a usable credential: every secret is random characters of the right shape,
// generated per run. Decoys are what real images are full of: placeholders, documentation keys,
// references to variables, public keys and certificates.
import { generateKeyPairSync, randomBytes, randomInt, randomUUID } from 'node:crypto';

export const AN = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UP = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const LOW = 'abcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';
const B64 = `${AN}+/`;
const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const DIG = '0123456789';
const SALT = `${AN}./`;

/** rnd: n random characters from the alphabet. */
export const rnd = (n: number, alphabet = AN): string => Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join('');
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const b64url = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
const pemBody = (bytes: number): string => randomBytes(bytes).toString('base64').replace(/(.{64})/g, '$1\n').trim();
const pem = (label: string, head = ''): string => `-----BEGIN ${label}-----\n${head}${pemBody(600)}\n-----END ${label}-----\n`;

export interface Sample {
  /** the rule expected to fire (without the "secret." prefix) */
  readonly rule: string;
  readonly text: string;
  /** file path the sample is planted at (path-scoped rules need it) */
  readonly path: string;
}

/** positives: one or more fresh samples per rule. */
export function positives(): Sample[] {
  const s = (rule: string, text: string, path = `srv/${rule}.conf`): Sample => ({ rule, text, path });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return [
    s('aws-access-key-id', `[default]\naws_access_key_id = AKIA${rnd(16, B32)}\n`),
    s('aws-secret-access-key', `[default]\naws_secret_access_key = ${rnd(40, B64)}\n`),
    s('aws-session-token', `aws_session_token = ${rnd(220, B64)}\n`),
    s('gcp-service-account-key', JSON.stringify({ type: 'service_account', project_id: 'p', private_key_id: rnd(40, HEX), private_key: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) }, null, 2)),
    s('gcp-api-key', `const key = "AIza${rnd(35, `${AN}_-`)}";\n`),
    s('gcp-oauth-client-secret', `{"client_secret": "GOCSPX-${rnd(28)}"}\n`),
    s('azure-storage-connection-string', `STORAGE="DefaultEndpointsProtocol=https;AccountName=acct${rnd(4, LOW)};AccountKey=${rnd(86, B64)}==;EndpointSuffix=core.windows.net"\n`),
    s('azure-sas-token', `url: https://acct.blob.core.windows.net/c?sv=2021-08-06&ss=b&srt=sco&sp=rl&se=2030-01-01T00:00:00Z&sig=${rnd(44)}%3D\n`),
    s('azure-service-bus-connection-string', `Endpoint=sb://ns${rnd(5, LOW)}.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=${rnd(43, B64)}=\n`),
    s('azure-ad-client-secret', `clientSecret: ${rnd(3)}8Q~${rnd(34)}\n`),
    s('alibaba-access-key-id', `ALIYUN_KEY_ID LTAI${rnd(20)}\n`),
    s('digitalocean-token', `do_token dop_v1_${rnd(64, HEX)}\n`),
    s('heroku-api-key', `HEROKU_API_KEY=${randomUUID()}\n`),
    s('hashicorp-vault-token', `VAULT: hvs.${rnd(90)}\n`),
    s('terraform-cloud-token', `credentials "app.terraform.io" { token = "${rnd(14)}.atlasv1.${rnd(67)}" }\n`),
    s('databricks-token', `host=x dapi${rnd(32, HEX)}\n`),
    s('doppler-token', `DP dp.pt.${rnd(43)}\n`),
    s('pulumi-token', `pulumi login pul-${rnd(40, HEX)}\n`),
    s('github-pat', `git clone https://x-access-token@github.com ghp_${rnd(36)}\n`),
    s('github-fine-grained-pat', `gh github_pat_${rnd(82, `${AN}_`)}\n`),
    s('github-oauth-token', `oauth gho_${rnd(36)}\n`),
    s('github-app-token', `inst ghs_${rnd(36)}\n`),
    s('github-refresh-token', `refresh ghr_${rnd(76)}\n`),
    s('gitlab-pat', `GL glpat-${rnd(20)}\n`),
    s('gitlab-runner-token', `runner glrt-${rnd(24)}\n`),
    s('gitlab-deploy-token', `deploy gldt-${rnd(24)}\n`),
    s('bitbucket-app-password', `bb ATBB${rnd(32)}${rnd(8, HEX)}\n`),
    s('bitbucket-client-secret', `bitbucket_client_secret: ${rnd(32)}\n`),
    s('atlassian-api-token', `jira ATATT3${rnd(186)}\n`),
    s('npm-token', `NPM npm_${rnd(36)}\n`),
    s('npmrc-auth', `registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=${randomUUID()}\n`, 'root/.npmrc'),
    s('pypi-token', `pypi pypi-AgEIcHlwaS5vcmc${rnd(70, `${AN}_-`)}\n`),
    s('pypirc-password', `[distutils]\nindex-servers = corp\n[corp]\nrepository = https://pypi.corp.test/\nusername = bob\npassword = ${rnd(16)}\n`, 'root/.pypirc'),
    s('docker-config-auth', `{"auths": {"registry.corp.test": {"auth": "${b64(`bob:${rnd(18)}`)}"}}}\n`, 'root/.docker/config.json'),
    s('docker-hub-pat', `docker login -p dckr_pat_${rnd(27)}\n`),
    s('huggingface-token', `HF hf_${rnd(34, LETTERS)}\n`),
    s('slack-bot-token', `slack xoxb-${rnd(12, DIG)}-${rnd(13, DIG)}-${rnd(24)}\n`),
    s('slack-user-token', `slack xoxp-${rnd(12, DIG)}-${rnd(12, DIG)}-${rnd(12, DIG)}-${rnd(32, HEX)}\n`),
    s('slack-app-token', `slack xapp-1-A${rnd(10, UP)}-${rnd(13, DIG)}-${rnd(64, HEX)}\n`),
    s('slack-webhook', `hook https://hooks.slack.com/services/T${rnd(8, UP)}/B${rnd(8, UP)}/${rnd(24)}\n`),
    s('discord-bot-token', `discord bot token M${rnd(23)}.${rnd(6)}.${rnd(27)}\n`),
    s('discord-webhook', `https://discord.com/api/webhooks/${rnd(18, DIG)}/${rnd(68)}\n`),
    s('telegram-bot-token', `telegram ${rnd(10, DIG)}:AA${rnd(33)}\n`),
    s('microsoft-teams-webhook', `https://acme.webhook.office.com/webhookb2/${randomUUID()}@${randomUUID()}/IncomingWebhook/${rnd(32, HEX)}/${randomUUID()}\n`),
    s('stripe-secret-key', `stripe sk_live_${rnd(24)}\n`),
    s('stripe-webhook-secret', `stripe whsec_${rnd(32)}\n`),
    s('square-access-token', `square sq0atp-${rnd(22)}\n`),
    s('square-oauth-secret', `square sq0csp-${rnd(43)}\n`),
    s('paypal-braintree-token', `bt access_token$production$${rnd(16, LOW)}$${rnd(32, HEX)}\n`),
    s('paypal-client-secret', `PAYPAL_CLIENT_SECRET=${rnd(80)}\n`),
    s('shopify-token', `shop shpat_${rnd(32, HEX)}\n`),
    s('sendgrid-api-key', `mail SG.${rnd(22)}.${rnd(43)}\n`),
    s('mailgun-api-key', `mg key-${rnd(32, HEX)}\n`),
    s('mailchimp-api-key', `mc ${rnd(32, HEX)}-us6\n`),
    s('twilio-api-key', `tw SK${rnd(32, HEX)}\n`),
    s('twilio-auth-token', `TWILIO_AUTH_TOKEN=${rnd(32, HEX)}\n`),
    s('postmark-token', `POSTMARK_SERVER_TOKEN=${randomUUID()}\n`),
    s('mailjet-secret', `MAILJET_SECRET_KEY=${rnd(32, HEX)}\n`),
    s('openai-api-key', `openai sk-proj-${rnd(20)}T3BlbkFJ${rnd(20)}\n`),
    s('anthropic-api-key', `ak sk-ant-api03-${rnd(95)}\n`),
    s('newrelic-api-key', `nr NRAK-${rnd(27, UP)}\n`),
    s('grafana-token', `graf glsa_${rnd(32)}_${rnd(8, HEX)}\n`),
    s('postman-api-key', `pm PMAK-${rnd(24, HEX)}-${rnd(34, HEX)}\n`),
    s('linear-api-key', `lin lin_api_${rnd(40)}\n`),
    s('facebook-access-token', `fb EAACEdEose0cBA${rnd(40)}\n`),
    s('age-secret-key', `# created\nAGE-SECRET-KEY-1${rnd(58, 'QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L')}\n`),
    s('private-key-rsa', rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string, 'root/.ssh/id_rsa'),
    s('private-key-rsa', pem('RSA PRIVATE KEY', 'Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123456789ABCDEF0123456789ABCDEF\n\n'), 'etc/ssl/private/enc.key'),
    s('private-key-ec', ec.privateKey.export({ type: 'sec1', format: 'pem' }) as string, 'etc/ssl/private/ec.key'),
    s('private-key-dsa', pem('DSA PRIVATE KEY'), 'etc/ssh/ssh_host_dsa_key'),
    s('private-key-openssh', pem('OPENSSH PRIVATE KEY'), 'root/.ssh/id_ed25519'),
    s('private-key-pkcs8', ec.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 'app/key.pem'),
    s('private-key-pkcs8-encrypted', rsa.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: rnd(12) }) as string, 'app/enc.pem'),
    s('private-key-pgp', `-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n${pemBody(900)}\n=${rnd(4, B64)}\n-----END PGP PRIVATE KEY BLOCK-----\n`, 'root/secring.asc'),
    s('private-key-ssh2', `---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: "bob"\n${pemBody(600)}\n---- END SSH2 ENCRYPTED PRIVATE KEY ----\n`, 'root/key.ssh2'),
    s('private-key-putty', `PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: bob\nPublic-Lines: 2\n${pemBody(51)}\nPrivate-Lines: 1\n${randomBytes(48).toString('base64')}\nPrivate-MAC: ${rnd(64, HEX)}\n`, 'root/key.ppk'),
    s('wireguard-private-key', `[Interface]\nAddress = 10.0.0.2/32\nPrivateKey = ${randomBytes(32).toString('base64')}\n`, 'etc/wireguard/wg0.conf'),
    s('jwt', `Authorization: Bearer ${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: rnd(12), iat: 1700000000 })}.${rnd(43, `${AN}_-`)}\n`),
    s('postgres-url', `DATABASE_URL=postgres://app:${rnd(16)}@db.corp.test:5432/app\n`),
    s('mysql-url', `url: mysql://root:${rnd(16)}@mysql:3306/shop\n`),
    s('mongodb-url', `MONGO=mongodb+srv://svc:${rnd(16)}@cluster0.corp.test/db\n`),
    s('redis-url', `cache: redis://default:${rnd(16)}@redis:6379/0\n`),
    s('amqp-url', `BROKER=amqp://guest2:${rnd(16)}@rabbit:5672/\n`),
    s('mssql-url', `conn sqlserver://sa:${rnd(16)}@mssql:1433\n`),
    s('ldap-url', `bind ldaps://cn=admin:${rnd(16)}@ldap.corp.test\n`),
    s('ftp-url', `mirror ftp://upload:${rnd(16)}@ftp.corp.test/in\n`),
    s('http-basic-auth-url', `proxy https://bob:${rnd(16)}@proxy.corp.test:3128\n`),
    s('jdbc-password', `spring.url=jdbc:sqlserver://db:1433;databaseName=x;user=sa;password=${rnd(14)}\n`),
    s('git-credentials', `https://bob:${rnd(20)}@git.corp.test\n`, 'root/.git-credentials'),
    s('apt-auth-conf', `machine apt.corp.test\nlogin bob\npassword ${rnd(14)}\n`, 'etc/apt/auth.conf.d/corp.conf'),
    s('netrc', `machine api.corp.test login bob password ${rnd(14)}\n`, 'root/.netrc'),
    s('pgpass', `db.corp.test:5432:app:app:${rnd(14)}\n`, 'root/.pgpass'),
    s('kubeconfig-client-key', `users:\n- name: admin\n  user:\n    client-certificate-data: ${rnd(40, B64)}\n    client-key-data: ${rnd(400, B64)}\n`, 'root/.kube/config'),
    s('kubeconfig-token', `apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://k8s.corp.test\n  name: c\nusers:\n- name: sa\n  user:\n    token: ${rnd(20)}.${rnd(40)}\n`, 'root/.kube/sa-config'),
    s('htpasswd-hash', `admin:$apr1$${rnd(8, SALT)}$${rnd(22, SALT)}\n`, 'etc/nginx/.htpasswd'),
    s('shadow-password-hash', `root:$6$${rnd(16, SALT)}$${rnd(86, SALT)}:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n`, 'etc/shadow'),
    s('shell-history-secret', `ls\nmysql -u root -p${rnd(12)} shop\n`, 'root/.bash_history'),
    s('generic-secret-env', `APP_NAME=shop\nDB_PASSWORD=${rnd(16)}\n`, 'app/.env'),
    s('generic-secret-yaml', `database:\n  host: db\n  password: ${rnd(16)}\n`, 'app/config.yaml'),
    s('generic-secret-json', `{"db": {"user": "app", "password": "${rnd(16)}"}}\n`, 'app/config.json'),
    s('generic-secret-ini', `[db]\nuser = app\npassword = ${rnd(16)}\n`, 'etc/app.ini'),
    s('generic-secret-xml', `<config>\n  <dbPassword>${rnd(16)}</dbPassword>\n</config>\n`, 'app/web.xml'),
  ];
}

/** decoys: secret-shaped text that must not be reported. */
export function decoys(): Sample[] {
  const d = (text: string, path = 'srv/decoy.conf'): Sample => ({ rule: '', text, path });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
  return [
    d('aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n'),
    d('aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n'),
    d('password: changeme\n', 'app/a.yaml'),
    d('password: ${DB_PASSWORD}\n', 'app/b.yaml'),
    d('password = <password>\n', 'etc/c.ini'),
    d('DB_PASSWORD=xxxxxxxxxxxx\n', 'app/.env'),
    d('{"password": "{{ .Values.db.password }}"}\n', 'app/d.json'),
    d('token: your_token_here\n', 'app/e.yaml'),
    d('api_key: YOUR_API_KEY\n', 'app/f.yaml'),
    d('password: "********"\n', 'app/g.yaml'),
    d('SECRET_KEY=$(cat /run/secrets/key)\n', 'app/h.sh'),
    d('password_file: /run/secrets/db_password\n', 'app/i.yaml'),
    d('password = get_password()\n', 'app/j.py'),
    d('password = os.environ["DB_PASSWORD"]\n', 'app/k.py'),
    d('TOKEN_URL=https://auth.corp.test/oauth/token\n', 'app/.env'),
    d('secret: true\n', 'app/l.yaml'),
    d('api_key: null\n', 'app/m.yaml'),
    d('password: password\n', 'app/n.yaml'),
    d('<password>${env.DB_PASS}</password>\n', 'app/o.xml'),
    d('#PermitRootLogin prohibit-password\nPasswordAuthentication yes\n', 'etc/ssh/sshd_config'),
    d(`${rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string}`, 'etc/ssl/pub.pem'),
    d(`-----BEGIN CERTIFICATE-----\n${pemBody(700)}\n-----END CERTIFICATE-----\n`, 'etc/ssl/certs/ca.pem'),
    d(`ssh-rsa ${randomBytes(270).toString('base64')} bob@host\n`, 'root/.ssh/authorized_keys'),
    d(`ssh-ed25519 ${randomBytes(51).toString('base64')} bob@host\n`, 'root/.ssh/id_ed25519.pub'),
    d('The key starts with -----BEGIN RSA PRIVATE KEY----- and ends with -----END RSA PRIVATE KEY-----.\n', 'usr/share/doc/x/README'),
    d(`ghp_${'x'.repeat(36)}\n`),
    d(`sk_live_${'a'.repeat(24)}\n`),
    d('postgres://user:password@localhost/db\n'),
    d('DATABASE_URL=postgres://app:${PGPASSWORD}@db:5432/app\n'),
    d('redis://localhost:6379/0\n'),
    d('https://bob@git.corp.test/repo.git\n'),
    d(`checksum: ${rnd(64, HEX)}\nrequest_id: ${randomUUID()}\n`),
    d(`commit ${rnd(40, HEX)}\n`),
    d(`"auth": "${b64(rnd(24))}"\n`, 'root/.docker/config.json'),
    d(`${'0'.repeat(32)}-us6\n`),
    d(`SK${'0'.repeat(32)}\n`),
    d(`eyJ${rnd(20)}.eyJ${rnd(20)}.${rnd(30)}\n`),
    d('api_key: REPLACE_ME\n', 'app/p.yaml'),
    d('secret_key_base: <%= ENV["SECRET_KEY_BASE"] %>\n', 'app/secrets.yml'),
    d('export GITHUB_TOKEN=$GITHUB_TOKEN\n', 'app/q.sh'),
    d('password = %(db_password)s\n', 'etc/r.ini'),
    d('password: ${{ secrets.DB_PASSWORD }}\n', 'app/s.yaml'),
    d('machine api.corp.test login bob password example123\n', 'root/.netrc'),
    d('token: ${KUBE_TOKEN}\nclusters:\n', 'root/.kube/config'),
    d('root:*:19000:0:99999:7:::\nbin:!:19000::::::\n', 'etc/shadow'),
    d('AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ\n'),
    d(`uuid=${randomUUID()}\n`),
    d('password: dummy-password\n', 'app/t.yaml'),
    d('client_secret: sample_client_secret\n', 'app/u.yaml'),
    d('DB_PASS=\n', 'app/.env'),
    d('mysql -u root -p\n', 'root/.bash_history'),
    d(`sha512: ${rnd(128, HEX)}\n`),
    d('token = self.get_token()\n', 'app/v.py'),
    d('"secret": "not-a-real-secret"\n', 'app/w.json'),
  ];
}
