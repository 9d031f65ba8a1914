// native/addon/trim.cc — dropStartupPages: unmap the clean file pages start-up touched (detached supervisor)
//
// Node touches ~35 MB of its own binary while it starts (relocations, the snapshot, builtins,
// OpenSSL's init), with fault-around mapping 64 KB per touch; a supervisor that then sits idle for
// days keeps all of it in its resident set. These are clean pages of the page cache, shared with
// every other node process: MADV_DONTNEED on them only removes them from this process's page
// tables, and whatever the supervisor runs later faults back in from the page cache. It is safe only
// where the mapping holds no private copy (a relocated RELRO page, a written .data page would revert
// to the file's bytes), so only read-only private file mappings with no anonymous pages are trimmed.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <vector>

#include "addon.h"

namespace tss {
namespace {

struct Range { unsigned long start, end; bool candidate; unsigned long anon_kb; };

Napi::Value DropStartupPages(const Napi::CallbackInfo& info) {
  FILE* f = fopen("/proc/self/smaps", "re");
  if (!f) return Napi::Number::New(info.Env(), -1);
  std::vector<Range> ranges;
  char* line = nullptr;
  size_t cap = 0;
  // read it all before the first madvise: advising changes what smaps says while it is being read
  while (getline(&line, &cap, f) > 0) {
    unsigned long start, end, anon;
    char perms[8];
    int path_at = 0;
    if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &start, &end, perms, &path_at) == 3) {
      const char* path = path_at > 0 ? line + path_at : "";
      bool candidate = perms[0] == 'r' && perms[1] == '-' && perms[3] == 'p' && path[0] == '/';
      ranges.push_back({start, end, candidate, 0});
    } else if (!ranges.empty() && sscanf(line, "Anonymous: %lu kB", &anon) == 1) {
      ranges.back().anon_kb = anon;
    }
  }
  free(line);
  fclose(f);
  double dropped = 0;
  for (const Range& r : ranges) {
    if (!r.candidate || r.anon_kb != 0) continue;
    if (madvise(reinterpret_cast<void*>(r.start), r.end - r.start, MADV_DONTNEED) == 0) dropped += static_cast<double>(r.end - r.start);
  }
  return Napi::Number::New(info.Env(), dropped);
}

}  // namespace

void InitTrim(Napi::Env env, Napi::Object exports) { exports.Set("dropStartupPages", Napi::Function::New(env, DropStartupPages)); }

}  // namespace tss
