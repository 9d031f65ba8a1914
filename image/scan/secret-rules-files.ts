// image/scan/secret-rules-files.ts — secret rules for private keys, URLs with passwords, credential files and generic assignments (everywhere, data)
//
// The generic rules come last: a specific rule's hit masks them on the same characters. Their
// candidates are filtered by the placeholder allow-list in secrets.ts, so `password: changeme` and
// `token: ${TOKEN}` are not findings while `password: s3cr3t-Value` is.
import type { SecretRule } from './secret-rule.js';

const pem = (id: string, description: string, label: string): SecretRule => ({
  id, description, severity: 'critical', keywords: [`begin ${label.toLowerCase()}`], binary: true,
  // the body must look like base64 (or a Proc-Type header): `-----BEGIN RSA PRIVATE KEY-----` alone in docs is not a key
  regex: new RegExp(`-----BEGIN ${label}-----(?:\\\\n|\\r?\\n)((?:Proc-Type:[^\\n]*\\r?\\n(?:DEK-Info:[^\\n]*\\r?\\n)?\\r?\\n)?[A-Za-z0-9+/=\\\\\\r\\n]{64,}?)-----END ${label}-----`, 'g'),
  entropy: 4.0,
});

/** passwords inside URLs: scheme://user:password@host */
const url = (id: string, description: string, schemes: string): SecretRule => ({
  id, description, severity: 'high', keywords: schemes.split('|').map((s) => s.replace(/[^a-z].*$/, '')),
  regex: new RegExp(`\\b(?:${schemes})://[^\\s:@/"'<>]+:([^\\s@/"'<>]{3,})@[^\\s/"'<>]+`, 'gi'),
  entropy: 2.0,
});

const KEYNAME = '(?:password|passwd|pass|pwd|secret|secret_?key|client_?secret|api_?key|apikey|access_?key|auth_?token|access_?token|private_?key|token|credentials?)';

export const FILE_RULES: readonly SecretRule[] = [
  // ---- private keys, every PEM and OpenSSH flavour ----
  pem('private-key-rsa', 'RSA private key (PKCS#1 PEM)', 'RSA PRIVATE KEY'),
  pem('private-key-ec', 'EC private key (SEC1 PEM)', 'EC PRIVATE KEY'),
  pem('private-key-dsa', 'DSA private key (PEM)', 'DSA PRIVATE KEY'),
  pem('private-key-openssh', 'OpenSSH private key', 'OPENSSH PRIVATE KEY'),
  pem('private-key-pkcs8', 'PKCS#8 private key (PEM)', 'PRIVATE KEY'),
  pem('private-key-pkcs8-encrypted', 'encrypted PKCS#8 private key (PEM)', 'ENCRYPTED PRIVATE KEY'),
  pem('private-key-pgp', 'PGP private key block', 'PGP PRIVATE KEY BLOCK'),
  { id: 'private-key-ssh2', description: 'SSH2 (SECSH/ssh.com) private key', severity: 'critical', keywords: ['begin ssh2 encrypted private key'], binary: true,
    regex: /---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\r?\n([\s\S]{64,}?)---- END SSH2 ENCRYPTED PRIVATE KEY ----/g, entropy: 4.0 },
  { id: 'private-key-putty', description: 'PuTTY private key', severity: 'critical', keywords: ['putty-user-key-file-'],
    regex: /PuTTY-User-Key-File-[23]:[^\n]*\n[\s\S]*?Private-Lines:\s*\d+\r?\n([A-Za-z0-9+/=\r\n]{40,})/g, entropy: 4.0 },
  { id: 'wireguard-private-key', description: 'WireGuard private key', severity: 'critical', keywords: ['privatekey'],
    regex: /^\s*PrivateKey\s*=\s*([A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=)/gm, entropy: 4.0 },
  // ---- tokens by structure ----
  { id: 'jwt', description: 'JSON Web Token', severity: 'medium', keywords: ['eyj'],
    regex: /\b(eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,})/g, entropy: 4.0,
    check: (s) => { try { return 'alg' in JSON.parse(Buffer.from(s.split('.')[0]!, 'base64url').toString('utf8')); } catch { return false; } } },
  { id: 'git-credentials', description: 'git credential store entry', severity: 'high', keywords: ['://'], paths: /(?:^|\/)\.git-credentials$/,
    regex: /^https?:\/\/[^:\s/]+:([^@\s]+)@\S+$/gm, entropy: 2.0 },
  // ---- URLs with passwords ----
  url('postgres-url', 'PostgreSQL URL with a password', 'postgres|postgresql'),
  url('mysql-url', 'MySQL/MariaDB URL with a password', 'mysql|mysql\\+pymysql|mysqlx|mariadb'),
  url('mongodb-url', 'MongoDB URL with a password', 'mongodb|mongodb\\+srv'),
  url('redis-url', 'Redis URL with a password', 'redis|rediss'),
  url('amqp-url', 'AMQP (RabbitMQ) URL with a password', 'amqp|amqps'),
  url('mssql-url', 'SQL Server / JDBC URL with a password', 'sqlserver|mssql'),
  url('ldap-url', 'LDAP URL with a password', 'ldap|ldaps'),
  url('ftp-url', 'FTP/SFTP URL with a password', 'ftp|sftp'),
  url('http-basic-auth-url', 'HTTP URL with embedded credentials', 'https?'),
  { id: 'jdbc-password', description: 'JDBC URL with a password parameter', severity: 'high', keywords: ['jdbc:'],
    regex: /jdbc:[a-z]+:[^\s"'<>]*?[;?&]password=([^;&\s"'<>]{3,})/gi, entropy: 2.0 },
  // ---- credential files ----
  { id: 'apt-auth-conf', description: 'apt repository credentials (auth.conf)', severity: 'high', keywords: ['password'], paths: /(?:^|\/)etc\/apt\/auth\.conf(?:\.d\/[^/]+)?$/,
    regex: /\bmachine\s+\S+[\s\S]{0,200}?\bpassword\s+(\S+)/g, entropy: 2.0 },
  { id: 'netrc', description: '.netrc machine password', severity: 'high', keywords: ['machine'],
    regex: /\bmachine\s+\S+\s+(?:login\s+\S+\s+)?password\s+(\S+)/g, entropy: 2.0 },
  { id: 'pgpass', description: 'PostgreSQL .pgpass entry', severity: 'high', keywords: [':'], paths: /(?:^|\/)\.pgpass$/,
    regex: /^[^:#\s]+:(?:\d+|\*):[^:\s]+:[^:\s]+:(\S{3,})$/gm, entropy: 2.0 },
  { id: 'kubeconfig-client-key', description: 'kubeconfig client key', severity: 'critical', keywords: ['client-key-data'],
    regex: /client-key-data:\s*["']?([A-Za-z0-9+/=]{40,})/g, entropy: 4.0 },
  { id: 'kubeconfig-token', description: 'kubeconfig user token', severity: 'high', keywords: ['clusters:'],
    regex: /^\s+token:\s*["']?([A-Za-z0-9._~+/=-]{20,})/gm, entropy: 3.5 },
  { id: 'htpasswd-hash', description: 'htpasswd password hash', severity: 'medium', keywords: ['$apr1$', '$2y$', '$2a$', '{sha}'],
    regex: /^[^:\s#]+:(\$apr1\$[./0-9A-Za-z]{1,8}\$[./0-9A-Za-z]{22}|\$2[aby]\$\d\d\$[./0-9A-Za-z]{53}|\{SHA\}[A-Za-z0-9+/]{27}=)\s*$/gm, entropy: 3.0 },
  { id: 'shadow-password-hash', description: 'password hash in a shadow file', severity: 'medium', keywords: ['$'], paths: /(?:^|\/)etc\/(?:g?shadow)-?$/,
    regex: /^[^:\s]+:(\$(?:1|5|6|y|gy|7|2[aby])\$[^:\s]{8,}):/gm, entropy: 3.0 },
  // ---- generic assignments in config formats and shell history ----
  { id: 'shell-history-secret', description: 'password or token typed on a command line (shell history)', severity: 'high', keywords: ['-p', 'pass', 'token', 'secret', 'key'],
    paths: /(?:^|\/)\.[a-z]*_?history$/,
    regex: /(?:--password[= ]|--token[= ]|sshpass\s+-p\s*|mysql\b[^\n]*?\s-p|\b[A-Z_]*(?:PASSWORD|PASSWD|TOKEN|SECRET|API_KEY)=)["']?([^\s"']{6,})/g, entropy: 2.5 },
  { id: 'generic-secret-env', description: 'secret assigned in a .env file or shell script', severity: 'high', keywords: ['pass', 'secret', 'token', 'key', 'pwd'],
    regex: /^[ \t]*(?:export[ \t]+)?[A-Z0-9_]*(?:PASSWORD|PASSWD|PASS|PWD|SECRET|TOKEN|API_KEY|APIKEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIALS?)[A-Z0-9_]*=["']?([^\s"'#;]{6,})/gm, entropy: 2.5 },
  { id: 'generic-secret-yaml', description: 'secret assigned in YAML', severity: 'high', keywords: ['pass', 'secret', 'token', 'key', 'pwd', 'credential'],
    regex: new RegExp(`^[ \\t-]*["']?[\\w.-]*${KEYNAME}["']?[ \\t]*:[ \\t]+["']?([^\\s"'#,{}\\[\\]][^\\s"'#,]{5,})["']?[ \\t]*$`, 'gim'), entropy: 2.5 },
  { id: 'generic-secret-json', description: 'secret assigned in JSON', severity: 'high', keywords: ['pass', 'secret', 'token', 'key', 'pwd', 'credential'],
    regex: new RegExp(`"[\\w.-]*${KEYNAME}"\\s*:\\s*"([^"\\s]{6,})"`, 'gi'), entropy: 2.5 },
  { id: 'generic-secret-ini', description: 'secret assigned in an INI/properties/TOML file', severity: 'high', keywords: ['pass', 'secret', 'token', 'key', 'pwd', 'credential'],
    regex: new RegExp(`^[ \\t]*[\\w.-]*${KEYNAME}\\d*[ \\t]*[=:][ \\t]*["']?([^\\s"';#]{6,})["']?[ \\t]*$`, 'gim'), entropy: 2.5 },
  { id: 'generic-secret-xml', description: 'secret in an XML element or attribute', severity: 'high', keywords: ['pass', 'secret', 'token', 'key', 'pwd', 'credential'],
    regex: new RegExp(`<([\\w.:-]*${KEYNAME}[\\w.-]*)>([^<\\s]{6,})</\\1>|\\b[\\w.:-]*${KEYNAME}\\s*=\\s*"([^"\\s]{6,})"`, 'gi'), entropy: 2.5 },
];
