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

TEST_CASE("base64 decodes a group at a time and a character at a time alike", "[mime]") {
  // Every byte value, at every length from 0 to 200: each padding, each position of a line break.
  std::string bytes;
  for (int i = 0; i < 200; ++i) bytes.push_back(static_cast<char>((i * 37 + 11) & 0xff));
  static const char* al = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  auto encode = [&](std::string_view in) {
    std::string out;
    for (size_t i = 0; i < in.size(); i += 3) {
      unsigned v = static_cast<unsigned char>(in[i]) << 16;
      if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
      if (i + 2 < in.size()) v |= static_cast<unsigned char>(in[i + 2]);
      out += al[v >> 18];
      out += al[(v >> 12) & 63];
      out += i + 1 < in.size() ? al[(v >> 6) & 63] : '=';
      out += i + 2 < in.size() ? al[v & 63] : '=';
    }
    return out;
  };
  for (size_t n = 0; n <= bytes.size(); ++n) {
    const std::string plain = bytes.substr(0, n);
    const std::string b64 = encode(plain);
    for (size_t cut : {size_t{1}, size_t{3}, size_t{5}, size_t{76}}) {
      // Line breaks (and a stray space) every `cut` characters: groups then straddle them.
      std::string broken;
      for (size_t i = 0; i < b64.size(); i += cut) broken += b64.substr(i, cut) + (i % 2 ? "\r\n" : " \n");
      std::string out;
      guichet::mail::Base64Stats stats;
      INFO("n " << n << " cut " << cut);
      CHECK(guichet::mail::base64_decode(broken, out, &stats));
      CHECK(out == plain);
      CHECK(stats.invalid == 0);
      CHECK_FALSE(stats.truncated);
    }
  }
  std::string out;
  guichet::mail::Base64Stats stats;
  CHECK_FALSE(guichet::mail::base64_decode("QUJD*REVG", out, &stats));  // one character outside the alphabet
  CHECK(out == "ABCDEF");
  CHECK(stats.invalid == 1);
  CHECK(guichet::mail::base64_decode("QUJDRA", out, &stats));
  CHECK(out == "ABCD");
  CHECK(stats.truncated);
}
