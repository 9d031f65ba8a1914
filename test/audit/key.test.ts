// test/audit/key.test.ts — audit key files: private or refused (as ssh), regular files only, read without moving the offset (temp files)
import t from 'tap';
import { chmodSync, closeSync, openSync, readSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { keyModeProblem, openKeyFile, readKeyFd } from '../../audit/index.js';
import { tempDir } from './fixtures.js';

const KEYTEXT = 'ab'.repeat(16);

t.test('openKeyFile: a private key file opens; group or other access is refused naming the mode', async (t) => {
  const dir = tempDir(t);
  const f = join(dir, 'key');
  writeFileSync(f, `${KEYTEXT}\n`);
  for (const mode of [0o600, 0o400]) {
    chmodSync(f, mode);
    const k = openKeyFile(f);
    t.equal(k.key.toString(), KEYTEXT, `mode ${mode.toString(8)}: the key, its newline dropped`);
    closeSync(k.fd);
  }
  for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602]) {
    chmodSync(f, mode);
    t.throws(() => openKeyFile(f), { message: new RegExp(`open to group or others \\(mode 0${mode.toString(8)}\\).*chmod 600`) }, `mode ${mode.toString(8)} refused`);
  }
  t.equal(keyModeProblem({ mode: 0o100600 }), null);
});

t.test('openKeyFile: short keys, symlinks, fifos and missing files are refused', async (t) => {
  const dir = tempDir(t);
  const short = join(dir, 'short');
  writeFileSync(short, 'abc\n', { mode: 0o600 });
  t.throws(() => openKeyFile(short), { message: /shorter than 16 bytes/ });
  const real = join(dir, 'real');
  writeFileSync(real, KEYTEXT, { mode: 0o600 });
  symlinkSync(real, join(dir, 'link'));
  t.throws(() => openKeyFile(join(dir, 'link')), { message: /symlink/ });
  const fifo = join(dir, 'fifo');
  t.equal(spawnSync('mkfifo', ['-m', '600', fifo]).status, 0, 'mkfifo');
  t.throws(() => openKeyFile(fifo), { message: /not a regular file/ }, 'a fifo is refused without blocking');
  t.throws(() => openKeyFile(join(dir, 'none')), { message: /ENOENT/ });
});

t.test('readKeyFd reads at offset 0 and leaves the offset alone: the CLI and the supervisor read the same key', async (t) => {
  const dir = tempDir(t);
  const f = join(dir, 'key');
  writeFileSync(f, KEYTEXT, { mode: 0o600 });
  const fd = openSync(f, 'r');
  t.teardown(() => closeSync(fd));
  t.equal(readKeyFd(fd, 'key').toString(), KEYTEXT);
  t.equal(readKeyFd(fd, 'key').toString(), KEYTEXT, 'a second read gets the same bytes');
  const b = Buffer.alloc(4);
  t.equal(readSync(fd, b, 0, 4, null), 4, 'the file offset is still 0');
  t.equal(b.toString(), KEYTEXT.slice(0, 4));
});
