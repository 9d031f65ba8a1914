// native/addon/watcher.cc — Watcher: a libuv poll handle on one fd that calls back into JS when it is ready
//
// The notify loop waited for its listener with poll(2) on libuv's thread pool: every notification
// then cost a thread hop and a wake-up of the main thread (most of a round trip, bench/notify.ts).
// A uv_poll handle puts the fd in the event loop's own epoll set instead: the main thread wakes
// straight into the callback, and the event loop still never blocks on the listener.
#include <poll.h>
#include <uv.h>

#include <memory>

#include "addon.h"

namespace tss {
namespace {

class Watcher : public Napi::ObjectWrap<Watcher> {
 public:
  static Napi::Function Class(Napi::Env env) {
    return DefineClass(env, "Watcher", {
      InstanceMethod<&Watcher::Start>("start"),
      InstanceMethod<&Watcher::Stop>("stop"),
      InstanceMethod<&Watcher::Close>("close"),
    });
  }

  // new Watcher(fd, events, callback(revents)): created stopped
  explicit Watcher(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Watcher>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsFunction()) {
      Napi::TypeError::New(env, "Watcher(fd, events, callback)").ThrowAsJavaScriptException();
      return;
    }
    fd_ = info[0].As<Napi::Number>().Int32Value();
    events_ = static_cast<short>(info[1].As<Napi::Number>().Int32Value());
    cb_ = Napi::Persistent(info[2].As<Napi::Function>());
    ctx_ = std::make_unique<Napi::AsyncContext>(env, "tss:watcher");
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    handle_ = new uv_poll_t;
    int r = uv_poll_init(loop, handle_, fd_);
    if (r != 0) {
      delete handle_;
      handle_ = nullptr;
      Napi::Error::New(env, std::string("Watcher: fd ") + std::to_string(fd_) + ": " + uv_strerror(r)).ThrowAsJavaScriptException();
      return;
    }
    handle_->data = this;
  }

  ~Watcher() override { Release(); }

 private:
  Napi::Value Start(const Napi::CallbackInfo& info) {
    if (!handle_ || active_) return info.Env().Undefined();
    int r = uv_poll_start(handle_, (events_ & POLLOUT ? UV_WRITABLE : 0) | (events_ & POLLIN ? UV_READABLE : 0), OnPoll);
    if (r != 0) {
      Napi::Error::New(info.Env(), std::string("Watcher.start: ") + uv_strerror(r)).ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    active_ = true;
    Ref();  // an active watcher must outlive the JS object's last reference: the callback uses it
    return info.Env().Undefined();
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    Deactivate();
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Release();
    return info.Env().Undefined();
  }

  void Deactivate() {
    if (!active_) return;
    if (handle_) uv_poll_stop(handle_);
    active_ = false;
    Unref();
  }

  // closing is asynchronous in libuv: the handle is freed in its close callback, never touching us
  void Release() {
    Deactivate();
    if (!handle_) return;
    handle_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(handle_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    handle_ = nullptr;
  }

  static void OnPoll(uv_poll_t* h, int status, int) {
    Watcher* w = static_cast<Watcher*>(h->data);
    if (!w || !w->active_) return;
    Napi::Env env = w->Env();
    Napi::HandleScope scope(env);
    int rev;
    if (status < 0) {
      rev = POLLERR;  // libuv has stopped the handle itself
      w->active_ = false;
      w->Unref();
    } else {
      // libuv folds HUP into "readable": ask the kernel which it is
      struct pollfd p = {w->fd_, w->events_, 0};
      rev = poll(&p, 1, 0) > 0 ? p.revents : 0;
      if (!rev) return;
    }
    // MakeCallback, not Call: promise continuations queued by the callback run before we return to libuv
    w->cb_.MakeCallback(w->Value(), {Napi::Number::New(env, rev)}, *w->ctx_);
    if (env.IsExceptionPending()) {
      Napi::Error e = env.GetAndClearPendingException();
      napi_fatal_exception(env, e.Value());
    }
  }

  int fd_ = -1;
  short events_ = POLLIN;
  bool active_ = false;
  uv_poll_t* handle_ = nullptr;
  Napi::FunctionReference cb_;
  std::unique_ptr<Napi::AsyncContext> ctx_;
};

}  // namespace

void InitWatcher(Napi::Env env, Napi::Object exports) { exports.Set("Watcher", Watcher::Class(env)); }

}  // namespace tss
