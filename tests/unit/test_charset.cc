#include <catch2/catch.hpp>

#include "mail/charset.h"

using guichet::mail::is_valid_utf8;
using guichet::mail::sanitize_utf8;
using guichet::mail::to_utf8;

TEST_CASE("iso-8859-1 is read as windows-1252, what senders mean", "[charset]") {
  std::string problem;
  // 0x92 is ’ and 0x80 is € in windows-1252, control characters in real latin-1.
  CHECK(to_utf8("c\x92" "est 300 \x80 d'\xE9t\xE9", "iso-8859-1", &problem) == "c’est 300 € d'été");
  CHECK(problem.empty());
  CHECK(to_utf8("\x9C" "uvre", "ISO-8859-1") == "œuvre");
  CHECK(to_utf8("\xE9", "us-ascii") == "é");
  CHECK(to_utf8("\xE9", "latin1") == "é");
}

TEST_CASE("charsets iconv knows are converted", "[charset]") {
  CHECK(to_utf8("\xF0\xD2\xC9\xD7\xC5\xD4", "koi8-r") == "Привет");
  CHECK(to_utf8("\xE9t\xE9", "iso-8859-15") == "été");
  CHECK(to_utf8("\xA4", "iso-8859-15") == "€");
  // Stateful encodings go through iconv even when 7-bit.
  CHECK(to_utf8("\x1B$B$3$s$K$A$O\x1B(B", "iso-2022-jp") == "こんにちは");
  CHECK(to_utf8("+AOk-t+AOk-", "utf-7") == "été");
  CHECK(to_utf8(std::string("\xFF\xFE\xE9\x00", 4), "utf-16") == "é");
}

TEST_CASE("unlabelled 8-bit text is tried as UTF-8, then windows-1252", "[charset]") {
  std::string problem;
  CHECK(to_utf8("d\xC3\xA9j\xC3\xA0", "", &problem) == "déjà");
  CHECK(problem.empty());
  CHECK(to_utf8("d\xE9j\xE0", "", &problem) == "déjà");
  CHECK(problem == "unlabelled 8-bit text decoded as windows-1252");
}

TEST_CASE("declared charsets lie", "[charset]") {
  std::string problem;
  SECTION("latin-1 label on UTF-8 bytes") {
    CHECK(to_utf8("No\xC3\xABl", "iso-8859-1", &problem) == "Noël");
    CHECK(problem == "text declared iso-8859-1 is UTF-8; decoded as UTF-8");
  }
  SECTION("UTF-8 label on windows-1252 bytes") {
    CHECK(to_utf8("caf\xE9", "utf-8", &problem) == "café");
    CHECK(problem == "text declared UTF-8 is not valid UTF-8; decoded as windows-1252");
  }
  SECTION("unknown charset") {
    CHECK(to_utf8("trouv\xE9", "x-klingon", &problem) == "trouvé");
    CHECK(problem == "unknown charset \"x-klingon\"; decoded as windows-1252");
  }
  SECTION("quoted and aliased names") {
    CHECK(to_utf8("\xE9", "\"ISO-8859-1\"") == "é");
    CHECK(to_utf8("\xC3\xA9", "utf8") == "é");
  }
}

TEST_CASE("invalid bytes become U+FFFD, never a failure", "[charset]") {
  std::string problem;
  std::string out = to_utf8("a\xFF" "b", "utf-8", &problem);
  CHECK(is_valid_utf8(out));
  // Shift_JIS with a truncated double-byte character at the end.
  out = to_utf8("\x82\xA0\x82", "shift_jis", &problem);
  CHECK(is_valid_utf8(out));
  CHECK(out.rfind("あ", 0) == 0);
  CHECK(problem.find("replaced by U+FFFD") != std::string::npos);
}

TEST_CASE("UTF-8 validation follows RFC 3629", "[charset]") {
  CHECK(is_valid_utf8("été €"));
  CHECK_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong
  CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  CHECK_FALSE(is_valid_utf8("\xE2\x82"));          // truncated
  CHECK(sanitize_utf8("a\xC0z") == "a\xEF\xBF\xBDz");
}
