# native/addon/binding.gyp — the supervisor's libc calls as a node-addon-api addon (built by native/Makefile)
{
  "targets": [{
    "target_name": "tss_native",
    "sources": ["addon.cc", "fdcalls.cc", "notifier.cc", "trim.cc"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS"],
    "cflags": ["-O2", "-Wall", "-Wextra", "-fstack-protector-strong", "-D_FORTIFY_SOURCE=2"],
    "cflags_cc": ["-std=c++17", "-fno-exceptions"]
  }]
}
