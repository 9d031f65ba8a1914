#!/usr/bin/env python3
# test/helpers/pty-run.py — runs a shell command on a fresh pty the test owns, types INPUT into it,
# and prints everything the terminal showed, then "EXIT:<status>" (tests)
# usage: pty-run.py TIMEOUT_S INPUT_HEX COMMAND...
import os, pty, select, sys, time

timeout, data, argv = float(sys.argv[1]), bytes.fromhex(sys.argv[2]), sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out = b''
deadline = time.time() + timeout
sent = False
status = None
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            chunk = b''
        if not chunk:
            break
        out += chunk
    if not sent and time.time() > deadline - timeout + 0.5:
        os.write(fd, data)
        sent = True
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = st
        # drain what is left
        while True:
            r, _, _ = select.select([fd], [], [], 0.2)
            if not r:
                break
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        break
if status is None:
    os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf8', 'replace'))
sys.stdout.write('\nEXIT:%d\n' % (os.waitstatus_to_exitcode(status)))
