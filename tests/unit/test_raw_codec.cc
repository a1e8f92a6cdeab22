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

namespace {
std::string one_attachment_mail(const std::string& b64, const std::string& eol) {
  return "From: a@b.fr" + eol + "Content-Type: multipart/mixed; boundary=B" + eol + eol + "--B" + eol +
         "Content-Type: application/pdf" + eol + "Content-Transfer-Encoding: base64" + eol + eol + b64 + eol + "--B--" +
         eol;
}

std::string pattern(size_t size) {
  std::string content(size, '\0');
  for (size_t i = 0; i < size; ++i) content[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
  return content;
}

// `raw` decodes to `content`, yet its text is not what we would regenerate: it must stay inline.
void check_kept_whole(const std::string& raw, const std::string& content) {
  mail::Message m = mail::parse(raw);
  REQUIRE(m.attachments.size() == 1);
  REQUIRE(m.attachments[0].content == content);
  auto enc = encode(raw, m);
  CHECK(enc.holes == "[]");
  CHECK(decode(enc, m) == raw);
}
}  // namespace

// The hole finder compares the mail with base64 it encodes a chunk of lines at a time; reading
// back regenerates it with base64_lines in one go. Sizes around the chunk (256 lines) and the
// padding (1, 2 or 3 bytes in the last group) are where the two could disagree.
TEST_CASE("the chunked comparison agrees with base64_lines at every edge", "[raw]") {
  for (size_t line : {64u, 76u}) {
    const size_t chunk = line / 4 * 3 * 256;
    for (size_t size : {size_t{2048}, size_t{2049}, size_t{2050}, chunk - 1, chunk, chunk + 1, chunk + 2, 2 * chunk,
                        2 * chunk + 1, 3 * chunk - 2}) {
      std::string content = pattern(size);
      for (std::string eol : {"\r\n", "\n"}) {
        std::string raw = one_attachment_mail(store::base64_lines(content, line, eol), eol);
        mail::Message m = mail::parse(raw);
        REQUIRE(m.attachments.size() == 1);
        REQUIRE(m.attachments[0].content == content);
        auto enc = encode(raw, m);
        INFO("line " << line << " size " << size << " eol " << eol.size());
        CHECK(enc.holes != "[]");
        CHECK(enc.data.size() < raw.size() - size);
        CHECK(decode(enc, m) == raw);
      }
    }
  }
}

TEST_CASE("base64 that decodes right but is not regenerated bit for bit stays inline", "[raw]") {
  const size_t line = 76;
  const size_t chunk = line / 4 * 3 * 256;
  SECTION("a line ending changes after the first chunk") {
    std::string content = pattern(2 * chunk);
    std::string b64 = store::base64_lines(content, line, "\r\n");
    // Line 300 ends with a bare LF: the mail decodes to the same bytes, its text is not ours.
    size_t at = 0;
    for (int i = 0; i < 300; ++i) at = b64.find("\r\n", at) + 2;
    b64.erase(at - 2, 1);
    check_kept_whole(one_attachment_mail(b64, "\r\n"), content);
  }
  SECTION("the last group carries bits a canonical encoder leaves at zero") {
    std::string content = pattern(chunk + 1);  // ends with one byte: "xy==" where y's low bits are zero
    std::string b64 = store::base64_lines(content, line, "\n");
    const size_t last = b64.size() - 3;
    REQUIRE(b64.substr(last + 1) == "==");
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const size_t index = std::string_view(alphabet).find(b64[last]);
    b64[last] = alphabet[index | 1];  // same byte once decoded, other text
    check_kept_whole(one_attachment_mail(b64, "\n"), content);
  }
}
