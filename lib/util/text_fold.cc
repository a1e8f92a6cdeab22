#include "util/text_fold.h"

#include <cstdint>

namespace guichet {

namespace {

// Base letters for U+00C0..U+017F; empty keeps the character, a string replaces it.
std::string_view fold_code_point(std::uint32_t cp) {
  static const char* latin1[64] = {
      "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",   // C0-CF
      "d", "n", "o", "o", "o", "o", "o", "",  "o", "u", "u", "u", "u", "y", "th", "ss",  // D0-DF
      "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",   // E0-EF
      "d", "n", "o", "o", "o", "o", "o", "",  "o", "u", "u", "u", "u", "y", "th", "y"};  // F0-FF
  if (cp >= 0xC0 && cp <= 0xFF) return latin1[cp - 0xC0];
  if (cp >= 0x100 && cp <= 0x17F) {
    static const char* ext = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkklllllllllnnnnnnnnnooooooo";
    if (cp == 0x152 || cp == 0x153) return "oe";
    if (cp < 0x152) return std::string_view(ext + (cp - 0x100), 1);
    if (cp >= 0x154 && cp <= 0x159) return "r";
    if (cp >= 0x15A && cp <= 0x161) return "s";
    if (cp >= 0x162 && cp <= 0x167) return "t";
    if (cp >= 0x168 && cp <= 0x173) return "u";
    if (cp == 0x174 || cp == 0x175) return "w";
    if (cp >= 0x176 && cp <= 0x178) return "y";
    if (cp >= 0x179 && cp <= 0x17E) return "z";
  }
  return "";
}

bool is_space_cp(std::uint32_t cp) {
  return cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n' || cp == 0xA0 || cp == 0x202F || cp == 0x2009 ||
         cp == 0x2007;
}

bool is_upper_cp(std::uint32_t cp) {
  if (cp >= 0xC0 && cp <= 0xDE) return cp != 0xD7;
  if (cp == 0x178) return true;
  if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177)) return cp % 2 == 0;
  if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) return cp % 2 == 1;
  return false;
}

// Decodes one UTF-8 sequence at s[i] (invalid bytes come back as themselves, length 1).
std::uint32_t decode_at(std::string_view s, size_t i, size_t& n) {
  auto c = static_cast<unsigned char>(s[i]);
  n = 1;
  if (c >= 0xC0 && c < 0xE0 && i + 1 < s.size()) {
    n = 2;
    return ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
  }
  if (c >= 0xE0 && c < 0xF0 && i + 2 < s.size()) {
    n = 3;
    return ((c & 0x0Fu) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6) |
           (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
  }
  if (c >= 0xF0 && i + 3 < s.size()) n = 4;
  return c;
}

}  // namespace

std::string strip_accents(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t n = 1;
    std::uint32_t cp = decode_at(s, i, n);
    std::string_view f = cp >= 0x80 ? fold_code_point(cp) : std::string_view();
    if (f.empty()) {
      out.append(s.substr(i, n));
    } else if (is_upper_cp(cp)) {
      for (char c : f) out.push_back(static_cast<char>(c - 'a' + 'A'));
    } else {
      out.append(f);
    }
    i += n;
  }
  return out;
}

std::string fold_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = c;
    size_t n = 1;
    if (c >= 0xC0 && c < 0xE0 && i + 1 < s.size()) {
      cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
      n = 2;
    } else if (c >= 0xE0 && c < 0xF0 && i + 2 < s.size()) {
      cp = ((c & 0x0Fu) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6) |
           (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
      n = 3;
    } else if (c >= 0xF0 && i + 3 < s.size()) {
      n = 4;
    }
    if (is_space_cp(cp)) {
      space = !out.empty();
      i += n;
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    if (cp < 0x80) {
      out.push_back((cp >= 'A' && cp <= 'Z') ? static_cast<char>(cp - 'A' + 'a') : static_cast<char>(cp));
    } else if (std::string_view f = fold_code_point(cp); !f.empty()) {
      out += f;
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  return out;
}

}  // namespace guichet
