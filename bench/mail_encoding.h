// How mail clients encode what the benchmarks' generators write (gen_corpus.cc, town_mail.h):
// base64 with 76-column lines, latin-1 (windows-1252 for the euro sign), quoted-printable, and
// RFC 2047 Q encoded words. Bench code, not the library's: the library decodes, never needs these.
#pragma once

#include <cstdio>
#include <string>

namespace guichet::bench {

inline std::string b64(const std::string& data) {
  static const char* al = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t col = 0;
  for (size_t i = 0; i < data.size(); i += 3) {
    unsigned v = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) v |= static_cast<unsigned char>(data[i + 1]) << 8;
    if (i + 2 < data.size()) v |= static_cast<unsigned char>(data[i + 2]);
    out += al[(v >> 18) & 63];
    out += al[(v >> 12) & 63];
    out += i + 1 < data.size() ? al[(v >> 6) & 63] : '=';
    out += i + 2 < data.size() ? al[v & 63] : '=';
    if ((col += 4) == 76) {
      out += "\r\n";
      col = 0;
    }
  }
  return out;
}

// UTF-8 to latin-1 for the characters this generator uses (€ becomes 0x80: windows-1252).
inline std::string latin1(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out += s[i];
    } else if ((c & 0xE0) == 0xC0 && i + 1 < s.size()) {
      out += static_cast<char>(((c & 0x1F) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3F));
      ++i;
    } else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x82) {
      out += '\x80';
      i += 2;
    } else {
      out += '?';
      while (i + 1 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80) ++i;
    }
  }
  return out;
}

inline std::string qp(const std::string& bytes) {
  std::string out;
  size_t col = 0;
  for (char ch : bytes) {
    auto c = static_cast<unsigned char>(ch);
    std::string piece;
    if (ch == '\n') {
      out += "\r\n";
      col = 0;
      continue;
    }
    if (c >= 33 && c <= 126 && c != '=') piece = std::string(1, ch);
    else if (c == ' ') piece = " ";
    else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "=%02X", c);
      piece = buf;
    }
    if (col + piece.size() > 75) {
      out += "=\r\n";
      col = 0;
    }
    out += piece;
    col += piece.size();
  }
  return out;
}

inline std::string encoded_word_q(const std::string& utf8) {
  std::string out = "=?UTF-8?Q?";
  for (char ch : utf8) {
    auto c = static_cast<unsigned char>(ch);
    if (ch == ' ') out += '_';
    else if (c >= 33 && c <= 126 && ch != '=' && ch != '?' && ch != '_') out += ch;
    else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "=%02X", c);
      out += buf;
    }
  }
  return out + "?=";
}

}  // namespace guichet::bench
