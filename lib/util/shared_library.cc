#include "util/shared_library.h"

#include <dlfcn.h>

namespace guichet {

Result<SharedLibrary> SharedLibrary::open(const char* soname, const char* package) {
  // RTLD_NOW: a symbol missing from an odd build shows here, not in the middle of a send.
  void* handle = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = ::dlerror();
    return Error{Errc::software, std::string("cannot load ") + soname + " (Debian package " + package +
                                     "): " + (why ? why : "unknown error")};
  }
  return SharedLibrary(handle, soname);
}

void* SharedLibrary::lookup(const char* name) {
  void* symbol = ::dlsym(handle_, name);
  if (!symbol && missing_.empty()) missing_ = name;
  return symbol;
}

Result<void> SharedLibrary::bound() const {
  if (missing_.empty()) return {};
  return Error{Errc::software,
               soname_ + " has no function " + missing_ + ": an older version than guichet was built with?"};
}

}  // namespace guichet
