// A shared library opened when a command first needs it (dlopen), not by the dynamic loader when
// any command starts.
//
// Every `guichet` run pays the loader's relocations for each library it is linked with. libcurl
// (with the ~30 libraries it needs: TLS, HTTP/2, LDAP, Kerberos, SSH…), libarchive (ICU through
// libxml2) and libsystemd cost 4.7 ms of the 9 ms an empty program linked like guichet takes to
// start (bench/README.md), and `guichet search` has 20 ms to answer. Only `serve`, the mailbox and
// outbox commands, `rgpd export --out X.tar` and a daemon under systemd use them; they open them
// here, the way systemd itself opens its optional libraries.
#pragma once

#include <string>

#include "util/result.h"

namespace guichet {

class SharedLibrary {
 public:
  // Opens `soname` (the name the linker would have recorded, "libcurl.so.4") with every symbol
  // resolved at once. The error (Errc::software) names the library and the Debian `package` that
  // holds it. The library stays loaded until the process ends: its functions are kept in tables
  // that outlive any one caller.
  static Result<SharedLibrary> open(const char* soname, const char* package);

  // Points `fn` at the function `name`, whose type the library's own header gave (decltype(&f)).
  // A missing name is kept for bound().
  template <class F>
  void bind(F& fn, const char* name) {
    void* symbol = lookup(name);
    // dlsym's contract (POSIX): a function's address comes back as a void*.
    if (symbol) fn = reinterpret_cast<F>(symbol);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
  }

  // Whether every bind() found its function; else which one was missing first.
  Result<void> bound() const;

 private:
  SharedLibrary(void* handle, std::string soname) : handle_(handle), soname_(std::move(soname)) {}
  void* lookup(const char* name);

  void* handle_;
  std::string soname_;
  std::string missing_;
};

}  // namespace guichet
