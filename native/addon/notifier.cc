// native/addon/notifier.cc — Notifier: a thread that receives seccomp notifications and answers the ones that need no decision
//
// Why a thread: a round trip through the event loop (epoll wakes node, JS decides, SEND) cost ~3× a
// minimal C supervisor's (bench/notify.ts), most of it the context switches between node's main
// thread and the target, not the JS. Only `observe` calls whose line needs no memory of the target
// (registers only) can be answered without JS: the profile allowed them, the answer is always
// CONTINUE and nothing read from the target decides it (DESIGN §5). This thread answers those at
// once and queues them for JS to record; every other notification (deny, emulate, a call whose line
// reads memory, a task JS has not seen yet) is queued unanswered, and JS answers it as before.
//
// JS side: sandbox/notify/fast.ts. Records are handed over in order, 88 bytes each: the raw
// struct seccomp_notif (80 bytes), then a u32 of flags (ANSWERED, GONE), then 4 bytes of padding.
// The queue is bounded: the thread stops receiving while JS has HIGH records left to record, so a
// slow audit log slows the container instead of growing the supervisor.
#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <uv.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <unordered_set>
#include <vector>

#include "addon.h"

namespace tss {
namespace {

constexpr size_t kNotif = sizeof(struct seccomp_notif);  // 80
constexpr size_t kRecord = 88;
constexpr size_t kHigh = 256;  // records JS has not taken yet before the thread waits
constexpr size_t kBatch = 64;  // answered records that wake JS at once; fewer wait up to kFlushMs
constexpr int kFlushMs = 2;
constexpr uint32_t kAnswered = 1;
constexpr uint32_t kGone = 2;
static_assert(kNotif == 80, "struct seccomp_notif is 80 bytes");

uint64_t Key(uint32_t arch, int32_t nr) { return (static_cast<uint64_t>(arch) << 32) | static_cast<uint32_t>(nr); }

class Notifier : public Napi::ObjectWrap<Notifier> {
 public:
  static Napi::Function Class(Napi::Env env) {
    return DefineClass(env, "Notifier", {
      InstanceMethod<&Notifier::Start>("start"),
      InstanceMethod<&Notifier::Stop>("stop"),
      InstanceMethod<&Notifier::KnowPid>("knowPid"),
      InstanceMethod<&Notifier::ForgetPid>("forgetPid"),
      InstanceMethod<&Notifier::ForgetAll>("forgetAll"),
    });
  }

  // new Notifier(fd, fastKeys: number[] of [auditArch, nr] pairs flattened, onRecords(buffer, ended))
  explicit Notifier(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Notifier>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsArray() || !info[2].IsFunction()) {
      Napi::TypeError::New(env, "Notifier(fd, fastKeys, onRecords)").ThrowAsJavaScriptException();
      return;
    }
    fd_ = info[0].As<Napi::Number>().Int32Value();
    Napi::Array keys = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i + 1 < keys.Length(); i += 2) {
      uint32_t arch = keys.Get(i).As<Napi::Number>().Uint32Value();
      int32_t nr = keys.Get(i + 1).As<Napi::Number>().Int32Value();
      fast_.insert(Key(arch, nr));
    }
    cb_ = Napi::Persistent(info[2].As<Napi::Function>());
    ctx_ = std::make_unique<Napi::AsyncContext>(env, "tss:notifier");
    stop_fd_ = eventfd(0, EFD_CLOEXEC);
    if (stop_fd_ < 0) {
      Napi::Error::New(env, std::string("Notifier: eventfd: ") + strerror(errno)).ThrowAsJavaScriptException();
      return;
    }
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    async_ = new uv_async_t;
    uv_async_init(loop, async_, OnAsync);
    async_->data = this;
    uv_unref(reinterpret_cast<uv_handle_t*>(async_));
  }

  ~Notifier() override { Shutdown(); }

 private:
  Napi::Value Start(const Napi::CallbackInfo& info) {
    if (running_ || !async_) return info.Env().Undefined();
    running_ = true;
    uv_ref(reinterpret_cast<uv_handle_t*>(async_));  // a running notifier keeps the event loop alive
    Ref();
    if (pthread_create(&thread_, nullptr, Run, this) != 0) {
      running_ = false;
      uv_unref(reinterpret_cast<uv_handle_t*>(async_));
      Unref();
      Napi::Error::New(info.Env(), "Notifier.start: pthread_create failed").ThrowAsJavaScriptException();
    }
    return info.Env().Undefined();
  }

  // stop(): the thread ends; what it had queued and JS had not taken is returned (records as in a
  // batch), so calls it already continued are still recorded
  Napi::Value Stop(const Napi::CallbackInfo& info) {
    Shutdown();
    std::vector<uint8_t> rest;
    {
      std::lock_guard<std::mutex> g(mu_);
      rest.swap(queue_);
    }
    return Napi::Buffer<uint8_t>::Copy(info.Env(), rest.data(), rest.size());
  }

  // a task whose /proc facts JS holds: its observe-only calls may be answered here from now on
  Napi::Value KnowPid(const Napi::CallbackInfo& info) {
    std::lock_guard<std::mutex> g(mu_);
    known_.insert(info[0].As<Napi::Number>().Int32Value());
    return info.Env().Undefined();
  }
  // the task exec'd or JS dropped its facts: its next call goes to JS again
  Napi::Value ForgetPid(const Napi::CallbackInfo& info) {
    std::lock_guard<std::mutex> g(mu_);
    known_.erase(info[0].As<Napi::Number>().Int32Value());
    return info.Env().Undefined();
  }
  Napi::Value ForgetAll(const Napi::CallbackInfo& info) {
    std::lock_guard<std::mutex> g(mu_);
    known_.clear();
    return info.Env().Undefined();
  }

  // stop the thread (if it runs) and wait for it
  void Shutdown() {
    if (running_) {
      {
        std::lock_guard<std::mutex> g(mu_);
        stopping_ = true;
      }
      space_.notify_all();
      uint64_t one = 1;
      if (write(stop_fd_, &one, sizeof one) < 0) { /* the eventfd cannot be full at 1 */ }
      pthread_join(thread_, nullptr);
      running_ = false;
      Unref();
    }
    if (async_) {
      async_->data = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(async_), [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
      async_ = nullptr;
    }
    if (stop_fd_ >= 0) { close(stop_fd_); stop_fd_ = -1; }
  }

  static void* Run(void* self) {
    static_cast<Notifier*>(self)->Loop();
    return nullptr;
  }

  void Loop() {
    struct pollfd p[2] = {{fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    struct seccomp_notif req;
    struct seccomp_notif_resp resp;
    for (;;) {
      {
        // backpressure: JS records what was answered here before more is received
        std::unique_lock<std::mutex> g(mu_);
        space_.wait(g, [this] { return stopping_ || queue_.size() / kRecord < kHigh; });
        if (stopping_) return;
      }
      p[0].revents = p[1].revents = 0;
      // records already answered wake JS in batches: a wake-up of node's main thread per call would
      // cost more than the call. None waits longer than kFlushMs to be recorded.
      int r = poll(p, 2, unsignaled_ ? kFlushMs : -1);
      if (r < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (r == 0) { Signal(); continue; }
      if (p[1].revents) return;  // stop(): JS no longer wants records
      if (!(p[0].revents & POLLIN)) {
        if (p[0].revents & (POLLHUP | POLLERR | POLLNVAL)) break;  // no task left in the filter
        continue;
      }
      memset(&req, 0, sizeof req);  // the kernel insists on a zeroed seccomp_notif
      if (ioctl(fd_, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) continue;  // ENOENT: that task is gone
      uint32_t flags = 0;
      bool fast;
      {
        std::lock_guard<std::mutex> g(mu_);
        fast = fast_.count(Key(req.data.arch, req.data.nr)) && known_.count(static_cast<int32_t>(req.pid));
      }
      if (fast) {
        memset(&resp, 0, sizeof resp);
        resp.id = req.id;
        resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        flags = kAnswered | (ioctl(fd_, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 ? kGone : 0);
      }
      Push(reinterpret_cast<const uint8_t*>(&req), flags);
    }
    std::lock_guard<std::mutex> g(mu_);
    ended_ = true;
    unsignaled_ = 1;
    Signal();
  }

  // a record JS must answer wakes it at once; answered ones in batches (Loop)
  void Push(const uint8_t* notif, uint32_t flags) {
    std::lock_guard<std::mutex> g(mu_);
    size_t at = queue_.size();
    queue_.resize(at + kRecord, 0);
    memcpy(&queue_[at], notif, kNotif);
    memcpy(&queue_[at + kNotif], &flags, sizeof flags);
    if (++unsignaled_ >= kBatch || !(flags & kAnswered)) Signal();
  }

  // wake JS for what is queued (uv_async_send coalesces: one callback takes all of it)
  void Signal() {
    if (!unsignaled_) return;
    unsignaled_ = 0;
    if (async_) uv_async_send(async_);
  }

  static void OnAsync(uv_async_t* h) {
    Notifier* n = static_cast<Notifier*>(h->data);
    if (!n) return;
    std::vector<uint8_t> batch;
    bool ended;
    {
      std::lock_guard<std::mutex> g(n->mu_);
      batch.swap(n->queue_);
      ended = n->ended_;
    }
    n->space_.notify_all();
    Napi::Env env = n->Env();
    Napi::HandleScope scope(env);
    Napi::Buffer<uint8_t> buf = Napi::Buffer<uint8_t>::Copy(env, batch.data(), batch.size());
    n->cb_.MakeCallback(n->Value(), {buf, Napi::Boolean::New(env, ended)}, *n->ctx_);
    if (env.IsExceptionPending()) {
      Napi::Error e = env.GetAndClearPendingException();
      napi_fatal_exception(env, e.Value());
    }
  }

  int fd_ = -1;
  int stop_fd_ = -1;
  bool running_ = false;
  pthread_t thread_{};
  uv_async_t* async_ = nullptr;
  Napi::FunctionReference cb_;
  std::unique_ptr<Napi::AsyncContext> ctx_;
  std::unordered_set<uint64_t> fast_;  // written before start(), read-only after
  std::mutex mu_;
  std::condition_variable space_;
  std::vector<uint8_t> queue_;        // mu_
  std::unordered_set<int32_t> known_;  // mu_
  bool stopping_ = false;              // mu_
  bool ended_ = false;                 // mu_
  size_t unsignaled_ = 0;              // records queued since the last wake-up (the thread's own)
};

}  // namespace

void InitNotifier(Napi::Env env, Napi::Object exports) { exports.Set("Notifier", Notifier::Class(env)); }

}  // namespace tss
