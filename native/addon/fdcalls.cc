// native/addon/fdcalls.cc — synchronous fd calls: socketpair, SCM_RIGHTS receive, ioctl, flock, process_vm_readv, syscall
//
// Every call returns what libc returned (-1 on failure, the errno kept for errno()); arguments are
// checked for type here, their meaning by the TypeScript caller (sandbox/notify/sys.ts).
#include <errno.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "addon.h"

namespace tss {
namespace {

int Int(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsNumber()) return -1;
  return info[i].As<Napi::Number>().Int32Value();
}

// a request code such as 0xc0502100 does not fit an int32: read it as an unsigned 32-bit value
unsigned long Req(const Napi::CallbackInfo& info, size_t i) {
  return info[i].IsNumber() ? info[i].As<Napi::Number>().Uint32Value() : 0;
}

long Long(const Napi::Value& v) {
  if (v.IsBigInt()) {
    bool lossless = true;
    return static_cast<long>(v.As<Napi::BigInt>().Uint64Value(&lossless));
  }
  return v.IsNumber() ? static_cast<long>(v.As<Napi::Number>().Int64Value()) : 0;
}

Napi::Value Result(Napi::Env env, long r) {
  if (r < 0) SetLastErrno(errno);
  return Napi::Number::New(env, static_cast<double>(r));
}

Napi::Value Errno(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), LastErrno()); }

// socketPair(): [a, b] close-on-exec AF_UNIX stream pair, or null (errno())
Napi::Value SocketPair(const Napi::CallbackInfo& info) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
    SetLastErrno(errno);
    return info.Env().Null();
  }
  Napi::Array a = Napi::Array::New(info.Env(), 2);
  a.Set(0u, Napi::Number::New(info.Env(), sv[0]));
  a.Set(1u, Napi::Number::New(info.Env(), sv[1]));
  return a;
}

// recvFd(sock): one fd passed by SCM_RIGHTS without waiting (close-on-exec), or -1; any extra fds are closed
Napi::Value RecvFd(const Napi::CallbackInfo& info) {
  int sock = Int(info, 0);
  char byte;
  struct iovec iov = {&byte, 1};
  union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int) * 4)]; } control;
  memset(&control, 0, sizeof control);
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;
  ssize_t n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  if (n <= 0) {
    SetLastErrno(n < 0 ? errno : 0);
    return Napi::Number::New(info.Env(), -1);
  }
  int got = -1;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    int fds[4];
    memcpy(fds, CMSG_DATA(c), count * sizeof(int));
    for (size_t i = 0; i < count; i++) {
      if (got < 0) got = fds[i];
      else close(fds[i]);  // one was asked for: never keep an fd nobody will close
    }
  }
  return Napi::Number::New(info.Env(), got);
}

Napi::Value Close(const Napi::CallbackInfo& info) { return Result(info.Env(), close(Int(info, 0))); }

// ioctl(fd, req, buffer): the argument is a pointer to the buffer's bytes
Napi::Value Ioctl(const Napi::CallbackInfo& info) {
  if (info.Length() < 3 || !info[2].IsBuffer()) {
    Napi::TypeError::New(info.Env(), "ioctl: the argument must be a Buffer").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  Napi::Buffer<uint8_t> b = info[2].As<Napi::Buffer<uint8_t>>();
  return Result(info.Env(), ioctl(Int(info, 0), Req(info, 1), b.Data()));
}

// ioctlValue(fd, req, value): the argument is the value itself (NOTIF_SET_FLAGS)
Napi::Value IoctlValue(const Napi::CallbackInfo& info) {
  return Result(info.Env(), ioctl(Int(info, 0), Req(info, 1), static_cast<unsigned long>(Long(info[2]))));
}

Napi::Value Flock(const Napi::CallbackInfo& info) { return Result(info.Env(), flock(Int(info, 0), Int(info, 1))); }

// sendFdTo(path, payload, fd): connect a SOCK_STREAM unix socket to path, send payload with fd by
// SCM_RIGHTS in one sendmsg, close (the runtime-spec's seccomp agent hand-off, oci/agent.ts); 0 or -1
Napi::Value SendFdTo(const Napi::CallbackInfo& info) {
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsBuffer()) { SetLastErrno(EINVAL); return Napi::Number::New(info.Env(), -1); }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  auto payload = info[1].As<Napi::Buffer<char>>();
  int fd = Int(info, 2);
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path || payload.Length() == 0) { SetLastErrno(EINVAL); return Napi::Number::New(info.Env(), -1); }
  memcpy(addr.sun_path, path.c_str(), path.size());
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return Result(info.Env(), -1);
  if (connect(s, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) < 0) { int e = errno; close(s); errno = e; return Result(info.Env(), -1); }
  char cbuf[CMSG_SPACE(sizeof(int))];
  memset(cbuf, 0, sizeof cbuf);
  struct iovec iov = {payload.Data(), payload.Length()};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof cbuf;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  ssize_t n = sendmsg(s, &msg, MSG_NOSIGNAL);
  int e = errno;
  close(s);
  if (n < 0) { errno = e; return Result(info.Env(), -1); }
  // one sendmsg on a stream socket may send less than asked: the agent would read a cut state
  if (static_cast<size_t>(n) != payload.Length()) { errno = EMSGSIZE; return Result(info.Env(), -1); }
  return Napi::Number::New(info.Env(), 0);
}

// readMemory(pid, addr, buffer): process_vm_readv into the buffer; bytes read, or -1
Napi::Value ReadMemory(const Napi::CallbackInfo& info) {
  if (info.Length() < 3 || !info[2].IsBuffer()) {
    Napi::TypeError::New(info.Env(), "readMemory: the destination must be a Buffer").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  Napi::Buffer<uint8_t> b = info[2].As<Napi::Buffer<uint8_t>>();
  struct iovec local = {b.Data(), b.Length()};
  struct iovec remote = {reinterpret_cast<void*>(Long(info[1])), b.Length()};
  return Result(info.Env(), process_vm_readv(Int(info, 0), &local, 1, &remote, 1, 0));
}

// syscall(nr, ...args): numbers or bigints, at most six
Napi::Value Syscall(const Napi::CallbackInfo& info) {
  long a[6] = {0, 0, 0, 0, 0, 0};
  for (size_t i = 1; i < info.Length() && i <= 6; i++) a[i - 1] = Long(info[i]);
  return Result(info.Env(), syscall(Long(info[0]), a[0], a[1], a[2], a[3], a[4], a[5]));
}

}  // namespace

void InitFdCalls(Napi::Env env, Napi::Object exports) {
  exports.Set("errno", Napi::Function::New(env, Errno));
  exports.Set("socketPair", Napi::Function::New(env, SocketPair));
  exports.Set("recvFd", Napi::Function::New(env, RecvFd));
  exports.Set("close", Napi::Function::New(env, Close));
  exports.Set("ioctl", Napi::Function::New(env, Ioctl));
  exports.Set("ioctlValue", Napi::Function::New(env, IoctlValue));
  exports.Set("flock", Napi::Function::New(env, Flock));
  exports.Set("readMemory", Napi::Function::New(env, ReadMemory));
  exports.Set("syscall", Napi::Function::New(env, Syscall));
  exports.Set("sendFdTo", Napi::Function::New(env, SendFdTo));
}

}  // namespace tss
