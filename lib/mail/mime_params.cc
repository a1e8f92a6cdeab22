#include "mail/mime_params.h"

#include <algorithm>
#include <cstdlib>

#include "mail/charset.h"
#include "mail/encoded_words.h"
#include "util/strings.h"

namespace guichet::mail {

namespace {

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_digit_value(s[i + 1]) >= 0 && hex_digit_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_digit_value(s[i + 1]) * 16 + hex_digit_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

struct RawParam {
  std::string name;  // lower-case, without the RFC 2231 "*N*" suffix
  int section = -1;  // continuation number, -1 when none
  bool extended = false;
  std::string value;
};

// Splits "a=b; c=\"d;e\"" into parameters, honouring quotes and backslash escapes.
std::vector<RawParam> split_params(std::string_view s) {
  std::vector<RawParam> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ';' || s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
    size_t name_begin = i;
    while (i < s.size() && s[i] != '=' && s[i] != ';') ++i;
    std::string name = to_lower(trim(s.substr(name_begin, i - name_begin)));
    if (i >= s.size() || s[i] != '=') continue;  // a token without value: ignore
    ++i;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    std::string value;
    if (i < s.size() && s[i] == '"') {
      ++i;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        value.push_back(s[i]);
        ++i;
      }
      if (i < s.size()) ++i;  // closing quote
      while (i < s.size() && s[i] != ';') ++i;
    } else {
      size_t vb = i;
      while (i < s.size() && s[i] != ';') ++i;
      value = std::string(trim(s.substr(vb, i - vb)));
    }
    if (name.empty()) continue;
    RawParam p;
    p.value = std::move(value);
    if (name.back() == '*') {
      p.extended = true;
      name.pop_back();
    }
    if (auto star = name.rfind('*'); star != std::string::npos) {
      std::string_view num = std::string_view(name).substr(star + 1);
      if (!num.empty() && std::all_of(num.begin(), num.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
          num.size() < 6) {
        p.section = std::atoi(std::string(num).c_str());
        name.resize(star);
      }
    }
    p.name = std::move(name);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

HeaderValue parse_header_value(std::string_view raw, std::vector<std::string>* problems) {
  HeaderValue hv;
  size_t semi = raw.find(';');
  hv.value = to_lower(trim(raw.substr(0, semi)));
  // Some mailers quote or comment the main token; keep the token only.
  if (auto sp = hv.value.find_first_of(" \t("); sp != std::string::npos) hv.value.resize(sp);
  if (semi == std::string_view::npos) return hv;

  std::vector<RawParam> raw_params = split_params(raw.substr(semi + 1));
  std::stable_sort(raw_params.begin(), raw_params.end(), [](const RawParam& a, const RawParam& b) {
    if (a.name != b.name) return a.name < b.name;
    if (a.section != b.section) return a.section < b.section;
    return a.extended && !b.extended;  // RFC 2231 4.1: prefer filename*= over filename=
  });

  for (size_t i = 0; i < raw_params.size();) {
    size_t j = i;
    const std::string& name = raw_params[i].name;
    std::string bytes, charset;
    bool any_extended = false;
    for (; j < raw_params.size() && raw_params[j].name == name; ++j) {
      const RawParam& p = raw_params[j];
      if (j > i && p.section < 0) continue;  // a repeated parameter: the extended form, then the first, wins
      if (p.extended) {
        any_extended = true;
        std::string_view v = p.value;
        if (j == i || (p.section == 0)) {
          // charset'language'value
          size_t a = v.find('\'');
          size_t b = a == std::string_view::npos ? a : v.find('\'', a + 1);
          if (b != std::string_view::npos) {
            charset = std::string(v.substr(0, a));
            v = v.substr(b + 1);
          }
        }
        bytes += percent_decode(v);
      } else {
        bytes += p.value;
      }
    }
    std::string value;
    if (any_extended) {
      std::string problem;
      value = to_utf8(bytes, charset, &problem);
      if (!problem.empty() && problems) problems->push_back("parameter " + name + ": " + problem);
    } else {
      // Outlook and Gmail write RFC 2047 words inside quoted parameters; decode them too.
      value = decode_header_text(bytes, problems);
    }
    hv.params.emplace(name, std::move(value));
    i = j;
  }
  return hv;
}

}  // namespace guichet::mail
