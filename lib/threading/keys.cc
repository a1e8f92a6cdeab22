#include "threading/keys.h"

#include <cctype>
#include <cstdio>
#include <regex>

#include "mail/encoded_words.h"
#include "util/sha256.h"
#include "util/strings.h"
#include "util/text_fold.h"

namespace guichet::threading {

namespace {

// Removes every [bracketed tag] (list tags, "[Réf. …]", "[SPAM]").
std::string drop_tags(std::string_view s) {
  std::string out;
  int depth = 0;
  for (char c : s) {
    if (c == '[') ++depth;
    else if (c == ']' && depth > 0) --depth;
    else if (depth == 0) out.push_back(c);
  }
  return depth == 0 ? out : std::string(s);  // an unclosed '[' is text
}

// One leading "re:", "tr :", "fwd[2]:", "ref :"… on folded text; returns the length to drop or 0.
size_t prefix_length(std::string_view s) {
  static const char* words[] = {"re", "fwd", "fw", "tr", "aw", "wg", "vs", "sv", "ref", "rep", "rif", "antw", "enc"};
  for (const char* w : words) {
    size_t n = std::char_traits<char>::length(w);
    if (s.substr(0, n) != w) continue;
    size_t i = n;
    if (i < s.size() && s[i] == '.') ++i;                   // "réf. :"
    if (i < s.size() && s[i] == '[') {                      // "Re[2]:"
      size_t close = s.find(']', i);
      if (close == std::string_view::npos) continue;
      i = close + 1;
    }
    while (i < s.size() && s[i] == ' ') ++i;               // "RE :", French spacing
    if (i < s.size() && s[i] == ':') return i + 1;
  }
  return 0;
}

}  // namespace

std::string normalise_subject(std::string_view subject) {
  std::string s = fold_text(drop_tags(fold_text(subject)));
  for (;;) {
    std::string_view v = trim(s);
    size_t n = prefix_length(v);
    if (n == 0) return std::string(v);
    s = fold_text(drop_tags(v.substr(n)));
  }
}

bool has_reply_prefix(std::string_view subject) {
  const std::string s = fold_text(drop_tags(fold_text(subject)));
  return prefix_length(trim(s)) > 0;
}

bool chases(std::string_view key, std::string_view earlier) {
  // Four letters or fewer ("cv", "info") would be in half of a resident's subjects.
  if (earlier.size() < 5 || key.size() <= earlier.size()) return false;
  auto boundary = [&](size_t at) {  // the earlier subject starts a word, after the chasing phrase
    const auto c = static_cast<unsigned char>(key[at - 1]);
    return !std::isalnum(c) && c < 0x80;
  };
  const size_t tail = key.size() - earlier.size();
  if (key.substr(tail) == earlier && boundary(tail)) return true;
  if (earlier.size() < 15) return false;
  for (size_t at = key.find(earlier); at != std::string_view::npos; at = key.find(earlier, at + 1))
    if (at > 0 && boundary(at)) return true;
  return false;
}

std::optional<std::string> subject_reference(std::string_view subject, std::string_view prefix) {
  // Fold the subject and the prefix alike: "Réf." and "REF" and "ref" are the same tag.
  std::string folded = fold_text(subject);
  std::string tag = fold_text(prefix);
  while (!tag.empty() && (tag.back() == '.' || tag.back() == ':' || tag.back() == ' ')) tag.pop_back();
  std::string escaped;
  for (char c : tag) {
    if (!std::isalnum(static_cast<unsigned char>(c))) escaped += '\\';
    escaped += c;
  }
  if (escaped.empty()) escaped = "ref";
  // tag, optional '.', ':', "n°", spaces, then YEAR - NUMBER (the number may have lost its zeros).
  static thread_local std::string cached_tag;
  static thread_local std::regex re;
  if (cached_tag != escaped || cached_tag.empty()) {
    re = std::regex("(?:" + escaped + "|ref)\\.?\\s*:?\\s*(?:n°\\s*)?(\\d{4})\\s*[-/]\\s*(\\d{1,6})(?!\\d)",
                    std::regex::ECMAScript | std::regex::optimize);
    cached_tag = escaped;
  }
  std::smatch m;
  if (!std::regex_search(folded, m, re)) return std::nullopt;
  std::string number = m[2].str();
  return m[1].str() + "-" + std::string(6 - number.size(), '0') + number;
}

TextCitation text_citation(std::string_view text, int year, int month) {
  TextCitation out;
  // The resident's own words: up to the first quoted line or "Le … a écrit", at most 3,000 bytes.
  std::string own;
  size_t pos = 0;
  while (pos < text.size() && own.size() < 3000) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (!line.empty() && line.front() == '>') break;
    own.append(line).push_back(' ');
  }
  const std::string folded = fold_text(own);
  static const std::regex reference(
      "(?:ref|reference|demande|dossier|requete|courrier|courriel|mail|message)\\.?\\s*(?:n°|no|numero|num)?\\.?\\s*:?\\s*"
      "(\\d{4})\\s*[-/]\\s*(\\d{1,6})(?!\\d|\\s*[-/]\\s*\\d)",  // not a date: 2026/11/03
      std::regex::ECMAScript | std::regex::optimize);
  // The regular expressions run only where a cheap scan finds what they need: most new mail cites
  // nothing, and std::regex costs tens of microseconds per kilobyte.
  auto year_number = [&] {
    for (size_t i = 0; i + 5 < folded.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(folded[i])) || !std::isdigit(static_cast<unsigned char>(folded[i + 1])) ||
          !std::isdigit(static_cast<unsigned char>(folded[i + 2])) || !std::isdigit(static_cast<unsigned char>(folded[i + 3])))
        continue;
      size_t j = i + 4;
      while (j < folded.size() && folded[j] == ' ') ++j;
      if (j < folded.size() && (folded[j] == '-' || folded[j] == '/')) return true;
      i += 3;
    }
    return false;
  };
  std::smatch m;
  if (year_number() && std::regex_search(folded, m, reference)) {
    const std::string number = m[2].str();
    out.reference = m[1].str() + "-" + std::string(6 - number.size(), '0') + number;
  }
  static const char* const months[] = {"janvier", "fevrier", "mars",      "avril",   "mai",      "juin",
                                       "juillet", "aout",    "septembre", "octobre", "novembre", "decembre"};
  // "mon courriel du 3 novembre [2026]", "ma demande du 03/11[/2026]", "mon mail en date du 3 nov."
  static const std::regex dated(
      "(?:courriel|mail|e-mail|email|message|demande|courrier|lettre|envoi)\\s+(?:en date\\s+)?du\\s+"
      "(?:(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\\s+)?(\\d{1,2})(?:er)?"
      "(?:\\s+([a-z]+)\\.?|\\s*/\\s*(\\d{1,2}))(?:\\s*/?\\s*(\\d{4}))?",
      std::regex::ECMAScript | std::regex::optimize);
  if (folded.find(" du ") != std::string::npos && std::regex_search(folded, m, dated)) {
    const int day = std::stoi(m[1].str());
    int mon = 0;
    if (m[2].matched) {
      const std::string word = m[2].str();
      for (int i = 0; i < 12; ++i) {
        const std::string full = months[i];
        // "nov", "novembre", "sept": a month's name or the first three letters of it at least.
        if (word.size() >= 3 && full.compare(0, word.size(), word) == 0) mon = i + 1;
      }
    } else if (m[3].matched) {
      mon = std::stoi(m[3].str());
    }
    int y = m[4].matched ? std::stoi(m[4].str()) : (mon > month ? year - 1 : year);
    if (mon >= 1 && mon <= 12 && day >= 1 && day <= 31 && y > 1990 && y < 2200) {
      char iso[16];
      std::snprintf(iso, sizeof iso, "%04d-%02d-%02d", y, mon, day);
      out.date = iso;
    }
  }
  return out;
}

std::string thread_index_key(std::string_view thread_index) {
  std::string decoded;
  mail::base64_decode(trim(thread_index), decoded);
  if (decoded.size() < 22) return {};
  static constexpr char hex[] = "0123456789abcdef";
  std::string key;
  for (size_t i = 0; i < 22; ++i) {
    key.push_back(hex[static_cast<unsigned char>(decoded[i]) >> 4]);
    key.push_back(hex[static_cast<unsigned char>(decoded[i]) & 0xF]);
  }
  return key;
}

std::string body_key(std::string_view text) { return sha256_hex(fold_text(text)); }

}  // namespace guichet::threading
