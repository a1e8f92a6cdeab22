#include "mail/encoded_words.h"

#include <array>
#include <optional>

#include "mail/charset.h"
#include "util/strings.h"

namespace guichet::mail {

namespace {

std::string q_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '_') {
      out.push_back(' ');
    } else if (c == '=' && i + 2 < in.size() && hex_digit_value(in[i + 1]) >= 0 && hex_digit_value(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_digit_value(in[i + 1]) * 16 + hex_digit_value(in[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

struct EncodedWord {
  size_t begin = 0, end = 0;  // span in the input, end exclusive
  std::string charset;
  std::string bytes;  // decoded, still in `charset`
};

// Parses an encoded word starting at `pos` (which points at "=?").
std::optional<EncodedWord> parse_encoded_word(std::string_view s, size_t pos) {
  size_t q1 = s.find('?', pos + 2);
  if (q1 == std::string_view::npos || q1 == pos + 2) return std::nullopt;
  std::string_view charset = s.substr(pos + 2, q1 - pos - 2);
  for (char c : charset) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '=' ) return std::nullopt;
  }
  if (q1 + 2 >= s.size() || s[q1 + 2] != '?') return std::nullopt;
  char enc = s[q1 + 1];
  size_t data_begin = q1 + 3;
  size_t close = s.find("?=", data_begin);
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view data = s.substr(data_begin, close - data_begin);
  for (char c : data) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') return std::nullopt;
  }
  EncodedWord w;
  w.begin = pos;
  w.end = close + 2;
  w.charset = std::string(charset);
  if (enc == 'B' || enc == 'b') {
    if (!base64_decode(data, w.bytes)) return std::nullopt;
  } else if (enc == 'Q' || enc == 'q') {
    w.bytes = q_decode(data);
  } else {
    return std::nullopt;
  }
  return w;
}

bool only_space(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

void append_plain(std::string& out, std::string_view text, std::vector<std::string>* problems) {
  std::string problem;
  out += to_utf8(text, "", &problem);
  if (!problem.empty() && problems) problems->push_back("header: " + problem);
}

}  // namespace

bool base64_decode(std::string_view in, std::string& out, Base64Stats* stats) {
  // 0-63: alphabet; 64: '=' and white space, skipped; 65: anything else.
  static const auto table = [] {
    std::array<unsigned char, 256> t{};
    t.fill(65);
    const char* al = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (unsigned char i = 0; i < 64; ++i) t[static_cast<unsigned char>(al[i])] = i;
    for (unsigned char c : {'=', '\r', '\n', ' ', '\t'}) t[c] = 64;
    return t;
  }();
  out.resize(in.size() * 3 / 4 + 3);
  char* o = out.data();
  unsigned int acc = 0;
  int bits = 0;
  size_t significant = 0, invalid = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const auto* const end = p + in.size();
  while (p < end) {
    // Four characters of the alphabet at a group boundary are three bytes: the common case, an
    // attachment's line, goes a group at a time rather than a character at a time.
    if (bits == 0 && end - p >= 4) {
      const unsigned a = table[p[0]], b = table[p[1]], c = table[p[2]], d = table[p[3]];
      if ((a | b | c | d) < 64) {
        const unsigned v = a << 18 | b << 12 | c << 6 | d;
        o[0] = static_cast<char>(v >> 16);
        o[1] = static_cast<char>((v >> 8) & 0xFF);
        o[2] = static_cast<char>(v & 0xFF);
        o += 3;
        p += 4;
        significant += 4;
        continue;
      }
    }
    const char c = static_cast<char>(*p++);
    unsigned char v = table[static_cast<unsigned char>(c)];
    if (v >= 64) {
      if (v == 65) ++invalid;
      else if (c == '=') ++significant;
      continue;
    }
    ++significant;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *o++ = static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  out.resize(static_cast<size_t>(o - out.data()));
  if (stats) {
    stats->invalid = invalid;
    stats->truncated = significant % 4 != 0;
  }
  return invalid == 0;
}

std::string decode_header_text(std::string_view raw, std::vector<std::string>* problems) {
  std::string out;
  out.reserve(raw.size());
  size_t pos = 0;
  // A run of adjacent encoded words in one charset, waiting to be converted as a whole.
  std::string pending_bytes, pending_charset;
  size_t last_word_end = std::string_view::npos;

  auto flush = [&] {
    if (pending_charset.empty() && pending_bytes.empty()) return;
    std::string problem;
    out += to_utf8(pending_bytes, pending_charset, &problem);
    if (!problem.empty() && problems) problems->push_back("encoded word: " + problem);
    pending_bytes.clear();
    pending_charset.clear();
  };

  while (pos < raw.size()) {
    size_t start = raw.find("=?", pos);
    if (start == std::string_view::npos) break;
    auto word = parse_encoded_word(raw, start);
    if (!word) {
      // Not a valid encoded word: keep "=?" literally and look further.
      flush();
      append_plain(out, raw.substr(pos, start + 2 - pos), problems);
      pos = start + 2;
      last_word_end = std::string_view::npos;
      continue;
    }
    std::string_view between = raw.substr(pos, start - pos);
    bool adjacent = last_word_end == pos && only_space(between);
    if (!adjacent) {
      flush();
      append_plain(out, between, problems);
    }
    if (!pending_charset.empty() && !iequals(pending_charset, word->charset)) flush();
    pending_charset = word->charset;
    pending_bytes += word->bytes;
    pos = word->end;
    last_word_end = pos;
  }
  flush();
  if (pos < raw.size()) append_plain(out, raw.substr(pos), problems);
  return out;
}

}  // namespace guichet::mail
