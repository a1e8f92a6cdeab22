#include "util/systemd_notify.h"

#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <cstring>

#include "util/shared_library.h"

namespace guichet {

namespace {

using Notify = decltype(&::sd_notify);

Result<Notify> load_notify() {
  auto lib = SharedLibrary::open(GUICHET_SYSTEMD_SONAME, "libsystemd0");
  if (!lib) return lib.error();
  Notify notify = nullptr;
  lib->bind(notify, "sd_notify");
  if (auto r = lib->bound(); !r) return r.error();
  return notify;
}

}  // namespace

Result<void> notify_systemd(const std::string& state) {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  if (!socket || !*socket) return {};
  static const Result<Notify> notify = load_notify();
  if (!notify) return notify.error();
  const int rc = (*notify)(0, state.c_str());
  if (rc < 0) return Error{Errc::temp_fail, std::string("sd_notify: ") + std::strerror(-rc)};
  return {};
}

}  // namespace guichet
