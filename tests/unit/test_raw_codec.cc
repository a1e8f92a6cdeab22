#include <catch2/catch.hpp>

#include <map>

#include "helpers.h"
#include "mail/parse.h"
#include "store/raw_codec.h"

using namespace guichet;

namespace {
store::EncodedRaw encode(const std::string& raw, const mail::Message& m) {
  std::vector<store::BlobRef> blobs;
  for (const auto& a : m.attachments) blobs.push_back({a.sha256, a.content});
  return store::encode_raw(raw, blobs);
}

std::string decode(const store::EncodedRaw& enc, const mail::Message& m) {
  std::map<std::string, std::string> by_sha;
  for (const auto& a : m.attachments) by_sha[a.sha256] = a.content;
  auto out = store::decode_raw(enc, [&](const std::string& sha) -> std::optional<std::string> {
    auto it = by_sha.find(sha);
    if (it == by_sha.end()) return std::nullopt;
    return it->second;
  });
  REQUIRE(out);
  return *out;
}
}  // namespace

TEST_CASE("every corpus mail comes back byte for byte", "[raw]") {
  for (const auto& e : std::filesystem::directory_iterator(test::data_path("mail"))) {
    std::string raw = test::read_file(e.path().string());
    mail::Message m = mail::parse(raw);
    INFO(e.path().filename().string());
    CHECK(decode(encode(raw, m), m) == raw);
  }
}

TEST_CASE("a regenerable base64 attachment is cut out of the raw copy", "[raw]") {
  std::string raw = test::corpus("gmail-utf8-attachment.eml");
  mail::Message m = mail::parse(raw);
  auto enc = encode(raw, m);
  CHECK(enc.holes != "[]");
  CHECK(enc.holes.find(m.attachments[0].sha256) != std::string::npos);
  CHECK(enc.holes.find("\"line\":76") != std::string::npos);
  // The stored skeleton no longer holds the 5 kB PDF.
  CHECK(enc.data.size() < raw.size() / 2);
  CHECK(decode(enc, m) == raw);
}

TEST_CASE("CRLF mail and odd line lengths round-trip", "[raw]") {
  std::string content(10000, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 7 + 3);
  for (size_t line : {64u, 72u, 76u, 998u}) {
    for (std::string eol : {"\r\n", "\n"}) {
      std::string raw = "From: a@b.fr" + eol + "Content-Type: multipart/mixed; boundary=B" + eol + eol + "--B" + eol +
                        "Content-Type: application/octet-stream" + eol + "Content-Transfer-Encoding: base64" + eol +
                        eol + store::base64_lines(content, line, eol) + eol + "--B--" + eol;
      mail::Message m = mail::parse(raw);
      REQUIRE(m.attachments.size() == 1);
      REQUIRE(m.attachments[0].content == content);
      auto enc = encode(raw, m);
      INFO("line " << line << " eol " << eol.size());
      CHECK(enc.holes != "[]");
      CHECK(decode(enc, m) == raw);
    }
  }
}

TEST_CASE("an attachment that cannot be regenerated stays inline", "[raw]") {
  std::string content(5000, 'z');
  // Irregular line lengths: no single (line, eol) rebuilds it.
  std::string b64 = store::base64_lines(content, 0, "");
  std::string irregular = b64.substr(0, 60) + "\n" + b64.substr(60, 76) + "\n" + b64.substr(136);
  std::string raw = "From: a@b.fr\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n" +
                    irregular + "\n";
  mail::Message m = mail::parse(raw);
  REQUIRE(m.attachments.size() == 1);
  auto enc = encode(raw, m);
  CHECK(enc.holes == "[]");
  CHECK(decode(enc, m) == raw);
}

TEST_CASE("a missing blob is an error, not wrong bytes", "[raw]") {
  std::string raw = test::corpus("gmail-utf8-attachment.eml");
  mail::Message m = mail::parse(raw);
  auto enc = encode(raw, m);
  auto out = store::decode_raw(enc, [](const std::string&) -> std::optional<std::string> { return std::nullopt; });
  REQUIRE_FALSE(out);
  CHECK(out.error().message.find("is missing") != std::string::npos);
}
