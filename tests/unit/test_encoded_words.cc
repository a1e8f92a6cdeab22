#include <catch2/catch.hpp>

#include "mail/encoded_words.h"

using guichet::mail::decode_header_text;

TEST_CASE("RFC 2047 B and Q words", "[rfc2047]") {
  CHECK(decode_header_text("=?UTF-8?B?RMOpY2xhcmF0aW9u?=") == "Déclaration");
  CHECK(decode_header_text("=?iso-8859-1?Q?D=E9claration_pr=E9alable?=") == "Déclaration préalable");
  CHECK(decode_header_text("=?utf-8?q?caf=C3=A9?=") == "café");
  // RFC 2231 language suffix inside an encoded word.
  CHECK(decode_header_text("=?UTF-8*fr?Q?=C3=A9t=C3=A9?=") == "été");
}

TEST_CASE("adjacent encoded words are joined, white space between them dropped", "[rfc2047]") {
  CHECK(decode_header_text("=?utf-8?Q?Caf=C3=A9?= =?utf-8?B?IGV0IHRow6k=?=") == "Café et thé");
  CHECK(decode_header_text("=?utf-8?Q?a?=\r\n =?utf-8?Q?b?=") == "ab");
  // A multi-byte character split across two words (Apple Mail does this).
  CHECK(decode_header_text("=?utf-8?Q?derri=C3?= =?utf-8?Q?=A8re?=") == "derrière");
  // Words separated by text keep the text and its spaces.
  CHECK(decode_header_text("=?utf-8?Q?a?= et =?utf-8?Q?b?=") == "a et b");
  // Different charsets in adjacent words are converted separately.
  CHECK(decode_header_text("=?iso-8859-1?Q?=E9?= =?utf-8?Q?=C3=A9?=") == "éé");
}

TEST_CASE("invalid encoded words are left as written", "[rfc2047]") {
  CHECK(decode_header_text("=?bogus?X?zz?= plain") == "=?bogus?X?zz?= plain");
  CHECK(decode_header_text("=?utf-8?B?***?=") == "=?utf-8?B?***?=");
  CHECK(decode_header_text("=?utf-8?Q?no end") == "=?utf-8?Q?no end");
  CHECK(decode_header_text("prix =? 10") == "prix =? 10");
}

TEST_CASE("bare 8-bit header text", "[rfc2047]") {
  std::vector<std::string> problems;
  CHECK(decode_header_text("G\xC3\xA9rard", &problems) == "Gérard");
  CHECK(problems.empty());
  CHECK(decode_header_text("H\xE9l\xE8ne", &problems) == "Hélène");
  REQUIRE(problems.size() == 1);
  CHECK(problems[0] == "header: unlabelled 8-bit text decoded as windows-1252");
}
