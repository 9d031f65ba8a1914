// test/supervisor/decode.test.ts — the supervisor's decoders stay within their bounds on hostile memory: no terminator, unmapped pages, huge argv, odd sockaddrs (tests, pure)
import t from 'tap';
import { MAX_ARGV, MAX_ARGV_BYTES, PATH_MAX, readArgv, readCString, readSockaddr, sockaddrText, type MemReader } from '../../sandbox/notify/decode.js';

/** a fake address space: mapped [base, base+mem.length); reads stop at the end like process_vm_readv */
function space(mem: Buffer, base = 0x10000n): { read: MemReader; reads: { addr: bigint; len: number }[] } {
  const reads: { addr: bigint; len: number }[] = [];
  return {
    reads,
    read: (addr, len) => {
      reads.push({ addr, len });
      t.ok(len <= 4096 * 2, 'no read is larger than the bound asks for');
      const off = Number(addr - base);
      if (off < 0 || off >= mem.length) return Buffer.alloc(0);
      return Buffer.from(mem.subarray(off, Math.min(mem.length, off + len)));
    },
  };
}

t.test('readCString: a string across a page boundary, a missing terminator, the PATH_MAX bound', async (t) => {
  const mem = Buffer.alloc(3 * 4096, 'a');
  mem.write('/etc/hostname\0', 4090);
  const s = space(mem);
  t.equal(readCString(s.read, 0x10000n + 4090n), '/etc/hostname', 'read in two page-aligned pieces');
  t.ok(s.reads.every((r) => (r.addr % 4096n) + BigInt(r.len) <= 4096n), 'no piece crosses a page');
  const unterminated = space(Buffer.alloc(100, 'x'));
  t.equal(readCString(unterminated.read, 0x10000n), null, 'unmapped before a NUL: nothing, rather than garbage');
  const huge = space(Buffer.alloc(3 * 4096, 'b'));
  const long = readCString(huge.read, 0x10000n);
  t.equal(long?.length, PATH_MAX + 1, 'cut at PATH_MAX and marked');
  t.ok(long?.endsWith('…'));
  t.equal(readCString(huge.read, 0n), null, 'NULL pointer');
});

t.test('readArgv: entries and bytes are bounded; a bad pointer ends the list', async (t) => {
  const base = 0x10000n;
  const mem = Buffer.alloc(64 * 1024);
  const strAt = 8192;
  mem.write('ls\0-l\0/\0', strAt);
  const ptrs = [strAt, strAt + 3, strAt + 6].map((o) => base + BigInt(o));
  ptrs.forEach((p, i) => mem.writeBigUInt64LE(p, i * 8));
  mem.writeBigUInt64LE(0n, 24);
  t.same(readArgv(space(mem, base).read, base), ['ls', '-l', '/']);
  // 200 pointers to the same string, no NULL: at most MAX_ARGV entries
  const many = Buffer.alloc(64 * 1024);
  for (let i = 0; i < 200; i++) many.writeBigUInt64LE(base + 8192n, i * 8);
  many.write('x\0', 8192);
  const a = readArgv(space(many, base).read, base)!;
  t.equal(a.length, MAX_ARGV + 1);
  t.equal(a[a.length - 1], '…');
  // long strings: MAX_ARGV_BYTES in all
  const big = Buffer.alloc(64 * 1024, 'y');
  for (let i = 0; i < 10; i++) big.writeBigUInt64LE(base + 4096n, i * 8);
  big.writeUInt8(0, 4096 + 4000);
  const b = readArgv(space(big, base).read, base)!;
  t.ok(b.slice(0, -1).join('').length <= MAX_ARGV_BYTES + 8, 'total bytes bounded');
  // a pointer into unmapped memory stops the list
  const bad = Buffer.alloc(64);
  bad.writeBigUInt64LE(0xdead0000n, 0);
  t.same(readArgv(space(bad, base).read, base), []);
});

t.test('sockaddrs: inet, inet6, unix, abstract, netlink; length bounded at 128', async (t) => {
  const in4 = Buffer.alloc(16); in4.writeUInt16LE(2, 0); in4.writeUInt16BE(8080, 2); Buffer.from([10, 0, 0, 1]).copy(in4, 4);
  t.equal(sockaddrText(in4), 'inet:10.0.0.1:8080');
  const in6 = Buffer.alloc(28); in6.writeUInt16LE(10, 0); in6.writeUInt16BE(443, 2); in6.writeUInt16BE(1, 22);
  t.equal(sockaddrText(in6), 'inet6:[::1]:443');
  const un = Buffer.alloc(110); un.writeUInt16LE(1, 0); un.write('/run/x.sock', 2);
  t.equal(sockaddrText(un), 'unix:/run/x.sock');
  const abs = Buffer.alloc(12); abs.writeUInt16LE(1, 0); abs.write('\0name', 2);
  t.equal(sockaddrText(abs), 'unix:@name');
  const nl = Buffer.alloc(12); nl.writeUInt16LE(16, 0);
  t.equal(sockaddrText(nl), 'netlink');
  t.equal(sockaddrText(Buffer.alloc(1)), null);
  const s = space(Buffer.concat([in4, Buffer.alloc(4096)]));
  t.equal(readSockaddr(s.read, 0x10000n, 1n << 40n), 'inet:10.0.0.1:8080');
  t.equal(s.reads[0]!.len, 128, 'a huge addrlen reads 128 bytes, no more');
});
