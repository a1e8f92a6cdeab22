#include "mail/quote.h"

#include <vector>

#include "util/strings.h"
#include "util/text_fold.h"

namespace guichet::mail {

namespace {

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') continue;
    if (text[i] == '\n') {
      out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(text[i]);
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

bool blank(const std::string& s) { return trim(s).empty(); }
bool quoted_line(const std::string& s) {
  const std::string_view t = trim(s);
  return !t.empty() && t.front() == '>';
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// "Le mer. 3 déc. 2026 à 14:05, Guichet <…> a écrit :" (Gmail, Thunderbird, Apple Mail, Orange,
// SFR, La Poste), "On Wed, Dec 3, 2026 at 2:05 PM … wrote:"; Gmail wraps it over two lines.
bool attribution_text(std::string f) {
  while (!f.empty() && (f.back() == ' ' || f.back() == ':')) f.pop_back();
  const bool fr = f.rfind("le ", 0) == 0 && ends_with(f, "a ecrit");
  const bool en = f.rfind("on ", 0) == 0 && ends_with(f, "wrote");
  return (fr || en) && f.size() < 300;
}

bool attribution(const std::string& line, const std::string* next) {
  const std::string f = fold_text(line);
  if (attribution_text(f)) return true;
  if (!next) return false;
  const std::string n = fold_text(*next);
  return n.size() < 40 && attribution_text(f + " " + n);
}

bool header_field(const std::string& line, std::initializer_list<const char*> names) {
  const std::string f = fold_text(line);
  for (const char* n : names) {
    const std::string name(n);
    if (f.rfind(name, 0) != 0) continue;
    const std::string_view rest = trim(std::string_view(f).substr(name.size()));
    if (!rest.empty() && rest.front() == ':') return true;
  }
  return false;
}

// Outlook's block above the mail it answers: "De : X" then, within a few lines, "Envoyé : …".
bool outlook_header(const std::vector<std::string>& lines, size_t i) {
  if (!header_field(lines[i], {"de", "from"})) return false;
  for (size_t j = i + 1; j < lines.size() && j <= i + 4; ++j) {
    if (header_field(lines[j], {"envoye", "sent", "date"})) return true;
  }
  return false;
}

bool separator_line(const std::string& line) {
  const std::string f = fold_text(line);
  if (f.size() >= 10 && f.find_first_not_of('_') == std::string::npos) return true;
  if (f.rfind("--", 0) != 0) return false;
  for (const char* s : {"original message", "message d'origine", "message original", "forwarded message",
                        "message transfere", "message d origine"}) {
    if (f.find(s) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

Unquoted strip_quotes(std::string_view text) {
  Unquoted out;
  std::vector<std::string> lines = lines_of(text);
  // 1. "> " quotes and the attribution above each quoted block.
  std::vector<std::string> kept;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (quoted_line(lines[i])) {
      out.quoted = true;
      if (out.cut_at.empty()) out.cut_at = "quoted lines";
      // The attribution line (and blank lines) just above the block.
      size_t k = kept.size();
      while (k > 0 && blank(kept[k - 1])) --k;
      if (k > 0 && attribution(kept[k - 1], nullptr)) {
        kept.resize(k - 1);
      } else if (k > 1 && attribution(kept[k - 2], &kept[k - 1])) {
        kept.resize(k - 2);
      }
      continue;
    }
    kept.push_back(lines[i]);
  }
  // 2. The first line where an unprefixed quoted mail begins.
  size_t end = kept.size();
  for (size_t i = 0; i < kept.size(); ++i) {
    const std::string* next = i + 1 < kept.size() ? &kept[i + 1] : nullptr;
    const char* why = nullptr;
    if (kept[i].find("[guichet ") != std::string::npos) why = "guichet marker";
    else if (attribution(kept[i], next)) why = "attribution";
    else if (outlook_header(kept, i)) why = "outlook header";
    else if (separator_line(kept[i])) why = "separator";
    if (why) {
      end = i;
      out.quoted = true;
      out.cut_at = why;
      break;
    }
  }
  kept.resize(end);
  // 3. The signature.
  for (size_t i = 0; i < kept.size(); ++i) {
    if (kept[i] == "-- " || kept[i] == "--") {
      kept.resize(i);
      break;
    }
  }
  while (!kept.empty() && blank(kept.back())) kept.pop_back();
  size_t first = 0;
  while (first < kept.size() && blank(kept[first])) ++first;
  for (size_t i = first; i < kept.size(); ++i) {
    std::string line = kept[i];
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.pop_back();
    out.text += line + "\n";
  }
  return out;
}

}  // namespace guichet::mail
