// util/shared_library.h: the libraries guichet opens when a command needs them.
#include <catch2/catch.hpp>

#include <cstring>

#include "util/shared_library.h"

using namespace guichet;

TEST_CASE("a library opened at run time binds its functions by the types of its header", "[libraries]") {
  auto libc = SharedLibrary::open("libc.so.6", "libc6");
  REQUIRE(libc.ok());
  decltype(&::strlen) length = nullptr;
  libc->bind(length, "strlen");
  REQUIRE(libc->bound().ok());
  REQUIRE(length != nullptr);
  CHECK(length("guichet") == 7);
}

TEST_CASE("a library that is not installed, or lacks a function, is named with its package", "[libraries]") {
  auto missing = SharedLibrary::open("libguichet-absent.so.9", "libguichet-absent9");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == Errc::software);
  CHECK(missing.error().message.find("cannot load libguichet-absent.so.9") != std::string::npos);
  CHECK(missing.error().message.find("Debian package libguichet-absent9") != std::string::npos);

  auto libc = SharedLibrary::open("libc.so.6", "libc6");
  REQUIRE(libc.ok());
  decltype(&::strlen) length = nullptr;
  decltype(&::strlen) other = nullptr;
  libc->bind(other, "guichet_no_such_function");
  libc->bind(length, "strlen");  // found, but the first missing one is the answer
  auto bound = libc->bound();
  REQUIRE_FALSE(bound.ok());
  CHECK(bound.error().message.find("libc.so.6 has no function guichet_no_such_function") != std::string::npos);
  CHECK(other == nullptr);
}
