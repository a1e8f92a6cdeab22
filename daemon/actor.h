// Who is acting, for the audit trail: --actor, else the sudo user, else the login user.
#pragma once

#include <cstdlib>
#include <string>

namespace guichet::cli {

inline std::string default_actor() {
  for (const char* var : {"SUDO_USER", "USER", "LOGNAME"}) {
    if (const char* v = std::getenv(var); v && *v) return v;
  }
  return "admin";
}

}  // namespace guichet::cli
