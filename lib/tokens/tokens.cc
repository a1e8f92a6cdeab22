#include "tokens/tokens.h"

#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

#include "util/strings.h"

namespace guichet::tokens {

namespace {

constexpr char kBase32[] = "abcdefghijklmnopqrstuvwxyz234567";
constexpr size_t kMacChars = 10;  // 50 bits

std::string body_of(const Token& t) {
  return std::string(1, static_cast<char>(t.kind)) + "." + t.subject + "." + (t.agent.empty() ? "-" : t.agent) + "." +
         std::to_string(t.number);
}

std::string mac(std::string_view body, std::string_view key) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(body.data()),
       body.size(), digest, &len);
  std::string out;
  std::uint64_t acc = 0;
  int bits = 0;
  for (unsigned int i = 0; i < len && out.size() < kMacChars; ++i) {
    acc = (acc << 8) | digest[i];
    bits += 8;
    while (bits >= 5 && out.size() < kMacChars) {
      bits -= 5;
      out.push_back(kBase32[(acc >> bits) & 31]);
    }
  }
  return out;
}

bool token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.';
}

bool is_kind(char c) { return c == 'r' || c == 'n' || c == 's' || c == 'i' || c == 'R' || c == 'N' || c == 'S' || c == 'I'; }

// Reads "k.subject.agent.number.mac" at `s` (more dotted parts may follow: a Message-ID's random
// part). nullopt when it does not have that shape.
std::optional<Found> read_at(std::string_view s, std::string_view key, const std::string& where) {
  size_t end = 0;
  while (end < s.size() && token_char(s[end])) ++end;
  const auto parts = split(s.substr(0, end), '.');
  if (parts.size() < 5 || parts[0].size() != 1 || !is_kind(parts[0][0])) return std::nullopt;
  if (parts[1].empty() || parts[2].empty() || parts[3].empty() || parts[4].size() != kMacChars) return std::nullopt;
  if (!std::all_of(parts[3].begin(), parts[3].end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  if (parts[3].size() > 15) return std::nullopt;
  Found f;
  f.where = where;
  f.token.kind = static_cast<Kind>(parts[0][0] | 0x20);  // lower case
  f.token.subject = to_lower(parts[1]);
  f.token.agent = to_lower(parts[2]);
  f.token.number = std::stoll(std::string(parts[3]));
  f.authentic = !key.empty() && to_lower(parts[4]) == mac(body_of(f.token), key);
  return f;
}

}  // namespace

std::string encode(const Token& t, std::string_view key) {
  if (key.empty()) throw std::logic_error("tokens::encode without a key");
  const std::string body = body_of(t);
  return body + "." + mac(body, key);
}

std::vector<Found> scan(std::string_view text, std::string_view key, const std::string& where) {
  std::vector<Found> out;
  for (size_t i = 0; i + 2 < text.size(); ++i) {
    if (!is_kind(text[i]) || text[i + 1] != '.') continue;
    // A token starts a word: after a separator of sub-addressing, a space, a bracket or "<".
    if (i > 0 && token_char(text[i - 1])) continue;
    if (auto f = read_at(text.substr(i), key, where)) {
      out.push_back(std::move(*f));
      while (i < text.size() && token_char(text[i])) ++i;
    }
  }
  return out;
}

std::vector<Found> find(const mail::Message& m, std::string_view key, char separator) {
  std::vector<Found> all;
  auto keep = [&](Found f) {
    const bool seen = std::any_of(all.begin(), all.end(), [&](const Found& g) { return g.token == f.token; });
    if (!seen) all.push_back(std::move(f));
  };
  auto add = [&](std::string_view text, const std::string& where) {
    for (auto& f : scan(text, key, where)) keep(std::move(f));
  };
  // In an address, the token follows the separator of the local part ('-' is a separator some
  // servers use, and also a character of tokens: hence not scan()).
  auto add_address = [&](const std::string& address, const std::string& where) {
    const size_t at = address.rfind('@');
    const std::string_view local = std::string_view(address).substr(0, at == std::string::npos ? address.size() : at);
    for (size_t i = local.find(separator); i != std::string_view::npos; i = local.find(separator, i + 1)) {
      if (auto f = read_at(local.substr(i + 1), key, where)) keep(std::move(*f));
    }
  };
  for (const auto& a : m.to) add_address(a.address, "to");
  for (const auto& a : m.cc) add_address(a.address, "cc");
  if (!m.delivered_to.empty()) add_address(m.delivered_to, "delivered-to");
  // Our Message-IDs start with the token.
  for (const auto& id : m.in_reply_to)
    if (auto f = read_at(id, key, "in-reply-to")) keep(std::move(*f));
  for (const auto& id : m.references)
    if (auto f = read_at(id, key, "references")) keep(std::move(*f));
  // The marker line, quoted or not: "[guichet r.…]".
  for (size_t pos = 0; (pos = m.text.find("[guichet ", pos)) != std::string::npos; pos += 9)
    add(std::string_view(m.text).substr(pos + 9, 120), "body");
  return all;
}

std::string reply_address(std::string_view address, char separator, const Token& t, std::string_view key) {
  const size_t at = address.rfind('@');
  if (at == std::string_view::npos) return std::string(address);
  return std::string(address.substr(0, at)) + separator + encode(t, key) + std::string(address.substr(at));
}

std::string message_id(std::string_view domain, const Token& t, std::string_view key) {
  unsigned char bytes[8];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  static const char hex[] = "0123456789abcdef";
  std::string random;
  for (unsigned char b : bytes) {
    random.push_back(hex[b >> 4]);
    random.push_back(hex[b & 15]);
  }
  return encode(t, key) + "." + random + "@" + std::string(domain.empty() ? "guichet.invalid" : domain);
}

std::string marker(const Token& t, std::string_view key) { return "[guichet " + encode(t, key) + "]"; }

}  // namespace guichet::tokens
