// Regression tests for the mimetic 0.9.8 traps listed in docs/ARCHITECTURE.md ("mimetic").
#include <catch2/catch.hpp>

#include "helpers.h"
#include "mail/charset.h"
#include "mail/parse.h"

using guichet::mail::Message;
using guichet::mail::parse;

using guichet::test::has_problem;

TEST_CASE("trap: To: undisclosed-recipients: without the final semicolon (mimetic's to() throws, then segfaults)", "[mimetic]") {
  Message m = parse(guichet::test::corpus("undisclosed-recipients.eml"));
  CHECK(m.to.empty());
  CHECK(m.from[0].name == "Association des parents");
  CHECK(m.text == "Bonjour à tous.\n");
  // Also in Cc and Reply-To, with and without other addresses.
  Message cc = parse("From: a@b.fr\nCc: undisclosed-recipients:, x@y.fr\nReply-To: list:\n\nx\n");
  REQUIRE(cc.cc.size() == 1);
  CHECK(cc.cc[0].address == "x@y.fr");
  CHECK(cc.reply_to.empty());
}

TEST_CASE("trap: messageid() invents an ID, field() inserts one", "[mimetic]") {
  Message m = parse("From: a@b.fr\nSubject: x\n\nbody\n");
  CHECK(m.message_id.empty());
  CHECK(has_problem(m, "no Message-ID"));
  // Parsing twice gives the same answer: nothing was added to a shared header.
  CHECK(parse("From: a@b.fr\nSubject: x\n\nbody\n").message_id.empty());
}

TEST_CASE("trap: a missing Content-Type is \"\" in mimetic, text/plain for us", "[mimetic]") {
  Message m = parse("From: a@b.fr\nSubject: x\nContent-Transfer-Encoding: quoted-printable\n\nd=C3=A9j=C3=A0\n");
  CHECK(m.text == "déjà\n");
  CHECK(m.attachments.empty());
}

TEST_CASE("trap: deep multipart nesting overflows mimetic's stack", "[mimetic][malformed]") {
  std::string raw = "From: a@b.fr\nSubject: nested\nMessage-ID: <deep@b.fr>\n";
  const int depth = 50000;
  for (int i = 0; i < depth; ++i) {
    raw += "Content-Type: multipart/mixed; boundary=\"b" + std::to_string(i) + "\"\n\n--b" + std::to_string(i) + "\n";
  }
  raw += "Content-Type: text/plain\n\ninner\n";
  Message m = parse(raw);
  CHECK(m.message_id == "deep@b.fr");
  CHECK(m.subject == "nested");
  CHECK(has_problem(m, "multipart containers: only the header was parsed"));
}

TEST_CASE("moderate nesting is parsed", "[mimetic]") {
  std::string raw = "From: a@b.fr\nSubject: nested\n";
  const int depth = 20;
  for (int i = 0; i < depth; ++i)
    raw += "Content-Type: multipart/mixed; boundary=\"b" + std::to_string(i) + "\"\n\n--b" + std::to_string(i) + "\n";
  raw += "Content-Type: text/plain\n\ninner\n";
  for (int i = depth - 1; i >= 0; --i) raw += "--b" + std::to_string(i) + "--\n";
  Message m = parse(raw);
  CHECK(m.text.find("inner") != std::string::npos);
}

TEST_CASE("a 30 MB attachment is decoded whole", "[mimetic][large]") {
  std::string content(30u << 20, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>((i * 2654435761u) >> 13);
  static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string encoded;
  encoded.reserve(content.size() * 4 / 3 + content.size() / 38);
  size_t col = 0;
  for (size_t i = 0; i + 2 < content.size() + 2; i += 3) {
    unsigned v = static_cast<unsigned char>(content[i]) << 16;
    bool has1 = i + 1 < content.size(), has2 = i + 2 < content.size();
    if (has1) v |= static_cast<unsigned char>(content[i + 1]) << 8;
    if (has2) v |= static_cast<unsigned char>(content[i + 2]);
    encoded += b64[(v >> 18) & 63];
    encoded += b64[(v >> 12) & 63];
    encoded += has1 ? b64[(v >> 6) & 63] : '=';
    encoded += has2 ? b64[v & 63] : '=';
    if ((col += 4) == 76) {
      encoded += "\r\n";
      col = 0;
    }
    if (!has2) break;
  }
  std::string raw =
      "From: a@b.fr\r\nSubject: plans\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
      "--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nci-joint\r\n--B\r\n"
      "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=plans.dwg\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n" + encoded + "\r\n--B--\r\n";
  Message m = parse(raw);
  REQUIRE(m.attachments.size() == 1);
  CHECK(m.attachments[0].size == content.size());
  CHECK(m.attachments[0].content == content);
  CHECK(m.text == "ci-joint");
}

TEST_CASE("a message above the size limit keeps its header", "[mimetic][large]") {
  guichet::mail::ParseLimits limits;
  limits.max_message_bytes = 1000;
  std::string raw = "From: a@b.fr\nSubject: big\nMessage-ID: <big@b.fr>\n\n" + std::string(5000, 'x');
  Message m = parse(raw, limits);
  CHECK(m.message_id == "big@b.fr");
  CHECK(m.subject == "big");
  CHECK(has_problem(m, "exceeds the 1000-byte limit"));
}

TEST_CASE("long folded headers finish", "[mimetic][malformed]") {
  std::string raw = "From: a@b.fr\nSubject: x";
  for (int i = 0; i < 20000; ++i) raw += "\n y";
  raw += "\n\nbody\n";
  Message m = parse(raw);
  CHECK(m.subject.size() == 1 + 2 * 20000);
}

TEST_CASE("not a mail at all", "[malformed]") {
  for (const std::string& raw : {std::string(), std::string("\n\n\n"), std::string("\x00\xFF\xFE garbage", 11),
                          std::string("just some text without headers")}) {
    Message m = parse(raw);
    CHECK(guichet::mail::is_valid_utf8(m.text));
  }
}

TEST_CASE("inputs found by the fuzzer (tests/data/fuzz) decode to valid UTF-8", "[fuzz][malformed]") {
  for (const auto& e : std::filesystem::directory_iterator(guichet::test::data_path("fuzz"))) {
    INFO(e.path().filename().string());
    Message m = parse(guichet::test::read_file(e.path().string()));
    CHECK(guichet::mail::is_valid_utf8(m.subject));
    CHECK(guichet::mail::is_valid_utf8(m.text));
    for (const auto& list : {m.from, m.to, m.cc, m.reply_to, m.sender}) {
      for (const auto& a : list) {
        CHECK(guichet::mail::is_valid_utf8(a.address));
        CHECK(guichet::mail::is_valid_utf8(a.name));
      }
    }
    for (const auto& p : m.problems) CHECK(guichet::mail::is_valid_utf8(p));
  }
}
