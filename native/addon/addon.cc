// native/addon/addon.cc — the tss_native addon's entry: the libc calls the supervisor needs and Node lacks
//
// It replaced koffi in the detached supervisor: a small addon maps ~100 KB where koffi's generic FFI
// cost 2.4 MB of RSS per container (bench/supervisor.ts), and its calls cost well under a
// microsecond where a koffi call cost several (bench/notify.ts).
#include "addon.h"

namespace tss {
static int last_errno = 0;
void SetLastErrno(int e) { last_errno = e; }
int LastErrno() { return last_errno; }
}  // namespace tss

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tss::InitFdCalls(env, exports);
  tss::InitNotifier(env, exports);
  tss::InitTrim(env, exports);
  return exports;
}

NODE_API_MODULE(tss_native, Init)
