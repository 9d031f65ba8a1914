// native/addon/addon.h — shared declarations of the tss_native addon (supervisor and CLI processes)
#pragma once
#include <napi.h>

namespace tss {
// the errno of the last failed call made through the addon (errno itself is clobbered by Node)
void SetLastErrno(int e);
int LastErrno();
void InitFdCalls(Napi::Env env, Napi::Object exports);
void InitNotifier(Napi::Env env, Napi::Object exports);
void InitTrim(Napi::Env env, Napi::Object exports);
}  // namespace tss
