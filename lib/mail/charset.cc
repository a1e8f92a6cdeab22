#include "mail/charset.h"

#include <iconv.h>

#include <cerrno>
#include <map>
#include <mutex>

#include "util/strings.h"

namespace guichet::mail {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Length of the valid UTF-8 sequence starting at s[i], or 0 when invalid (overlongs, surrogates
// and code points above U+10FFFF are invalid, as in RFC 3629).
size_t utf8_sequence_length(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  }
  return n;
}

bool has_8bit(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  }
  return false;
}

// Canonical iconv name for what the sender most likely meant.
std::string effective_charset(std::string_view declared) {
  std::string cs = to_lower(trim(declared));
  // RFC 2231 allows a language suffix in encoded words: "utf-8*fr".
  if (auto star = cs.find('*'); star != std::string::npos) cs.resize(star);
  if (cs.size() >= 2 && cs.front() == '"' && cs.back() == '"') cs = cs.substr(1, cs.size() - 2);
  if (cs == "iso-8859-1" || cs == "iso8859-1" || cs == "latin1" || cs == "latin-1" || cs == "l1" ||
      cs == "iso_8859-1" || cs == "us-ascii" || cs == "ascii" || cs == "ansi_x3.4-1968" ||
      cs == "cp819" || cs == "iso-ir-100")
    return "WINDOWS-1252";
  if (cs == "utf8") return "UTF-8";
  if (cs == "ks_c_5601-1987") return "CP949";  // Outlook's name for Korean
  if (cs == "x-unknown" || cs == "unknown-8bit" || cs == "x-user-defined" || cs == "default" ||
      cs == "charset" || cs == "unknown")
    return "";
  return cs;
}

struct IconvCache {
  std::mutex mu;
  std::map<std::string, bool> known;  // charset name -> iconv can open it
};

bool iconv_knows(const std::string& cs) {
  static IconvCache cache;
  std::lock_guard lock(cache.mu);
  auto it = cache.known.find(cs);
  if (it != cache.known.end()) return it->second;
  iconv_t cd = iconv_open("UTF-8", cs.c_str());
  bool ok = cd != reinterpret_cast<iconv_t>(-1);
  if (ok) iconv_close(cd);
  cache.known.emplace(cs, ok);
  return ok;
}

// Converts with iconv; undecodable input bytes are replaced by U+FFFD and counted.
std::string iconv_convert(std::string_view bytes, const std::string& cs, size_t* replaced) {
  iconv_t cd = iconv_open("UTF-8", cs.c_str());
  std::string out;
  if (cd == reinterpret_cast<iconv_t>(-1)) return out;
  out.reserve(bytes.size() + bytes.size() / 2);
  std::string in(bytes);
  char* inp = in.data();
  size_t inleft = in.size();
  char buf[4096];
  while (inleft > 0) {
    char* outp = buf;
    size_t outleft = sizeof buf;
    size_t rc = iconv(cd, &inp, &inleft, &outp, &outleft);
    out.append(buf, static_cast<size_t>(outp - buf));
    if (rc == static_cast<size_t>(-1)) {
      if (errno == E2BIG) continue;
      // EILSEQ (invalid byte) or EINVAL (truncated sequence at the end): replace one byte, go on.
      out.append(kReplacement);
      ++*replaced;
      ++inp;
      --inleft;
      iconv(cd, nullptr, nullptr, nullptr, nullptr);  // reset shift state
    }
  }
  char* outp = buf;
  size_t outleft = sizeof buf;
  iconv(cd, nullptr, nullptr, &outp, &outleft);  // flush stateful encodings (ISO-2022-JP)
  out.append(buf, static_cast<size_t>(outp - buf));
  iconv_close(cd);
  return out;
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string sanitize_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t n = utf8_sequence_length(s, i);
    if (n == 0) {
      out.append(kReplacement);
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string to_utf8(std::string_view bytes, std::string_view charset, std::string* problem) {
  if (!has_8bit(bytes) && !istarts_with(trim(charset), "utf-7") &&
      !icontains(charset, "2022") && !icontains(charset, "utf-16") && !icontains(charset, "utf-32") &&
      !icontains(charset, "ucs"))
    return std::string(bytes);  // 7-bit text in an ASCII-compatible charset: nothing to convert

  std::string cs = effective_charset(charset);
  auto note = [&](std::string what) {
    if (problem) *problem = std::move(what);
  };

  if (cs.empty() || cs == "UTF-8" || cs == "utf-8") {
    if (is_valid_utf8(bytes)) return std::string(bytes);
    if (!cs.empty()) {
      // Declared UTF-8 but is not: the usual culprit is cp1252 text from an old client.
      size_t replaced = 0;
      std::string out = iconv_convert(bytes, "WINDOWS-1252", &replaced);
      note("text declared UTF-8 is not valid UTF-8; decoded as windows-1252");
      if (replaced == 0) return out;
      return sanitize_utf8(bytes);
    }
    size_t replaced = 0;
    std::string out = iconv_convert(bytes, "WINDOWS-1252", &replaced);
    note("unlabelled 8-bit text decoded as windows-1252");
    return out;
  }

  if (!iconv_knows(cs)) {
    if (is_valid_utf8(bytes)) {
      note("unknown charset \"" + std::string(charset) + "\"; text was valid UTF-8");
      return std::string(bytes);
    }
    size_t replaced = 0;
    std::string out = iconv_convert(bytes, "WINDOWS-1252", &replaced);
    note("unknown charset \"" + std::string(charset) + "\"; decoded as windows-1252");
    return out;
  }

  // A single-byte label on bytes that form valid multi-byte UTF-8: the label lies (webmails that
  // copy the charset of the mail they answer). Real latin-1 French text is almost never valid UTF-8.
  std::string lower_cs = to_lower(cs);
  if ((istarts_with(lower_cs, "windows-125") || istarts_with(lower_cs, "iso-8859-") || istarts_with(lower_cs, "cp125")) &&
      is_valid_utf8(bytes)) {
    note("text declared " + std::string(charset) + " is UTF-8; decoded as UTF-8");
    return std::string(bytes);
  }
  size_t replaced = 0;
  std::string out = iconv_convert(bytes, cs, &replaced);
  if (replaced > 0) {
    // The label lies: if the bytes are valid UTF-8, that is what the sender meant.
    if (is_valid_utf8(bytes)) {
      note("text declared " + std::string(charset) + " is UTF-8; decoded as UTF-8");
      return std::string(bytes);
    }
    note(std::to_string(replaced) + " invalid byte(s) for charset " + std::string(charset) +
         " replaced by U+FFFD");
  }
  return out;
}

}  // namespace guichet::mail
