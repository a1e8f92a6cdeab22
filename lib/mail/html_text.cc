#include "mail/html_text.h"

#include <cstdint>
#include <cstdlib>
#include <unordered_map>

#include "util/strings.h"

namespace guichet::mail {

namespace {

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// The named references French mail actually uses, plus the HTML 4 Latin-1 and typography sets.
const std::unordered_map<std::string_view, std::uint32_t>& entity_table() {
  static const std::unordered_map<std::string_view, std::uint32_t> table = {
      {"amp", '&'},      {"lt", '<'},       {"gt", '>'},       {"quot", '"'},     {"apos", '\''},
      {"nbsp", 0xA0},    {"iexcl", 0xA1},   {"cent", 0xA2},    {"pound", 0xA3},   {"curren", 0xA4},
      {"yen", 0xA5},     {"brvbar", 0xA6},  {"sect", 0xA7},    {"uml", 0xA8},     {"copy", 0xA9},
      {"ordf", 0xAA},    {"laquo", 0xAB},   {"not", 0xAC},     {"shy", 0xAD},     {"reg", 0xAE},
      {"macr", 0xAF},    {"deg", 0xB0},     {"plusmn", 0xB1},  {"sup2", 0xB2},    {"sup3", 0xB3},
      {"acute", 0xB4},   {"micro", 0xB5},   {"para", 0xB6},    {"middot", 0xB7},  {"cedil", 0xB8},
      {"sup1", 0xB9},    {"ordm", 0xBA},    {"raquo", 0xBB},   {"frac14", 0xBC},  {"frac12", 0xBD},
      {"frac34", 0xBE},  {"iquest", 0xBF},  {"Agrave", 0xC0},  {"Aacute", 0xC1},  {"Acirc", 0xC2},
      {"Atilde", 0xC3},  {"Auml", 0xC4},    {"Aring", 0xC5},   {"AElig", 0xC6},   {"Ccedil", 0xC7},
      {"Egrave", 0xC8},  {"Eacute", 0xC9},  {"Ecirc", 0xCA},   {"Euml", 0xCB},    {"Igrave", 0xCC},
      {"Iacute", 0xCD},  {"Icirc", 0xCE},   {"Iuml", 0xCF},    {"ETH", 0xD0},     {"Ntilde", 0xD1},
      {"Ograve", 0xD2},  {"Oacute", 0xD3},  {"Ocirc", 0xD4},   {"Otilde", 0xD5},  {"Ouml", 0xD6},
      {"times", 0xD7},   {"Oslash", 0xD8},  {"Ugrave", 0xD9},  {"Uacute", 0xDA},  {"Ucirc", 0xDB},
      {"Uuml", 0xDC},    {"Yacute", 0xDD},  {"THORN", 0xDE},   {"szlig", 0xDF},   {"agrave", 0xE0},
      {"aacute", 0xE1},  {"acirc", 0xE2},   {"atilde", 0xE3},  {"auml", 0xE4},    {"aring", 0xE5},
      {"aelig", 0xE6},   {"ccedil", 0xE7},  {"egrave", 0xE8},  {"eacute", 0xE9},  {"ecirc", 0xEA},
      {"euml", 0xEB},    {"igrave", 0xEC},  {"iacute", 0xED},  {"icirc", 0xEE},   {"iuml", 0xEF},
      {"eth", 0xF0},     {"ntilde", 0xF1},  {"ograve", 0xF2},  {"oacute", 0xF3},  {"ocirc", 0xF4},
      {"otilde", 0xF5},  {"ouml", 0xF6},    {"divide", 0xF7},  {"oslash", 0xF8},  {"ugrave", 0xF9},
      {"uacute", 0xFA},  {"ucirc", 0xFB},   {"uuml", 0xFC},    {"yacute", 0xFD},  {"thorn", 0xFE},
      {"yuml", 0xFF},    {"OElig", 0x152},  {"oelig", 0x153},  {"Scaron", 0x160}, {"scaron", 0x161},
      {"Yuml", 0x178},   {"fnof", 0x192},   {"circ", 0x2C6},   {"tilde", 0x2DC},  {"ensp", 0x2002},
      {"emsp", 0x2003},  {"thinsp", 0x2009}, {"zwnj", 0x200C}, {"zwj", 0x200D},   {"ndash", 0x2013},
      {"mdash", 0x2014}, {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"sbquo", 0x201A}, {"ldquo", 0x201C},
      {"rdquo", 0x201D}, {"bdquo", 0x201E}, {"dagger", 0x2020}, {"bull", 0x2022}, {"hellip", 0x2026},
      {"permil", 0x2030}, {"lsaquo", 0x2039}, {"rsaquo", 0x203A}, {"euro", 0x20AC}, {"trade", 0x2122},
      {"larr", 0x2190},  {"rarr", 0x2192},  {"check", 0x2713}, {"NewLine", '\n'}, {"Tab", '\t'}};
  return table;
}

// Case-insensitive find of an ASCII needle, without copying the haystack.
size_t ifind(std::string_view hay, std::string_view needle, size_t from) {
  for (size_t pos = hay.find('<', from); pos != std::string_view::npos; pos = hay.find('<', pos + 1)) {
    if (istarts_with(hay.substr(pos), needle)) return pos;
  }
  return std::string_view::npos;
}

bool is_block_tag(std::string_view t) {
  static const char* blocks[] = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table",
                                 "tr", "blockquote", "section", "article", "header", "footer", "pre",
                                 "hr", "dl", "dt", "dd", "address", "center", "form", "fieldset", "main",
                                 "nav", "aside", "figure", "figcaption", "body", "html"};
  for (const char* b : blocks) {
    if (t == b) return true;
  }
  return false;
}

std::string attribute(std::string_view tag, std::string_view name) {
  std::string lower = to_lower(tag);
  size_t pos = 0;
  while ((pos = lower.find(name, pos)) != std::string::npos) {
    bool boundary = pos > 0 && (lower[pos - 1] == ' ' || lower[pos - 1] == '\t' || lower[pos - 1] == '\n' ||
                                lower[pos - 1] == '\r');
    size_t k = pos + name.size();
    while (k < lower.size() && (lower[k] == ' ' || lower[k] == '\t')) ++k;
    if (!boundary || k >= lower.size() || lower[k] != '=') {
      pos += name.size();
      continue;
    }
    ++k;
    while (k < tag.size() && (tag[k] == ' ' || tag[k] == '\t')) ++k;
    if (k < tag.size() && (tag[k] == '"' || tag[k] == '\'')) {
      char q = tag[k];
      size_t end = tag.find(q, k + 1);
      return std::string(tag.substr(k + 1, end == std::string_view::npos ? std::string_view::npos : end - k - 1));
    }
    size_t end = k;
    while (end < tag.size() && tag[end] != ' ' && tag[end] != '\t' && tag[end] != '>') ++end;
    return std::string(tag.substr(k, end - k));
  }
  return {};
}

class Renderer {
 public:
  void text(std::string_view raw) {
    std::string decoded = decode_html_entities(raw);
    if (pre_ > 0) {
      out_ += decoded;
      space_ = false;
      return;
    }
    for (size_t i = 0; i < decoded.size(); ++i) {
      char c = decoded[i];
      bool nbsp = static_cast<unsigned char>(c) == 0xC2 && i + 1 < decoded.size() &&
                  static_cast<unsigned char>(decoded[i + 1]) == 0xA0;
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || nbsp) {
        if (nbsp) ++i;
        space_ = true;
        continue;
      }
      if (space_ && !out_.empty() && out_.back() != '\n' && out_.back() != ' ') out_.push_back(' ');
      space_ = false;
      out_.push_back(c);
      if (link_depth_ > 0) link_text_.push_back(c);
    }
  }
  void newline(int count) {
    while (!out_.empty() && out_.back() == ' ') out_.pop_back();
    int have = 0;
    for (auto it = out_.rbegin(); it != out_.rend() && *it == '\n'; ++it) ++have;
    if (out_.empty()) return;
    for (int k = have; k < count; ++k) out_.push_back('\n');
    space_ = false;
  }
  void start_link(std::string href) {
    href_ = std::move(href);
    link_text_.clear();
    link_depth_ = 1;
  }
  void end_link() {
    if (link_depth_ == 0) return;
    link_depth_ = 0;
    std::string href = href_;
    if (istarts_with(href, "mailto:")) href = href.substr(7);
    if (!href.empty() && href[0] != '#' && !istarts_with(href, "javascript:") &&
        trim(link_text_) != trim(href)) {
      out_ += " <" + href + ">";
    }
  }
  void raw(std::string_view s) { out_ += s; space_ = false; }
  void line_break() {
    while (!out_.empty() && out_.back() == ' ') out_.pop_back();
    out_.push_back('\n');
    space_ = false;
  }
  int pre_ = 0;

  std::string finish() {
    // Trim each line and keep at most one blank line between paragraphs.
    std::string result;
    int blank = 0;
    for (auto line : split(out_, '\n')) {
      std::string_view t = pre_ > 0 ? line : trim(line);
      if (t.empty()) {
        ++blank;
        continue;
      }
      if (!result.empty()) result += blank > 0 ? "\n\n" : "\n";
      blank = 0;
      result += t;
    }
    return result;
  }

 private:
  std::string out_;
  bool space_ = false;
  int link_depth_ = 0;
  std::string href_;
  std::string link_text_;
};

}  // namespace

std::string decode_html_entities(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    size_t semi = s.find(';', i + 1);
    size_t limit = std::min(s.size(), i + 34);
    if (semi == std::string_view::npos || semi >= limit) {
      out.push_back('&');
      continue;
    }
    std::string_view name = s.substr(i + 1, semi - i - 1);
    if (!name.empty() && name[0] == '#') {
      bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
      std::string digits(name.substr(hex ? 2 : 1));
      char* end = nullptr;
      unsigned long cp = digits.empty() ? 0 : std::strtoul(digits.c_str(), &end, hex ? 16 : 10);
      if (digits.empty() || *end != '\0' || digits.size() > 8) {
        out.push_back('&');
        continue;
      }
      // Windows-1252 numeric references (&#146; for ’) are what Word-made HTML contains.
      static const std::uint32_t cp1252[32] = {0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                               0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
                                               0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                               0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};
      if (cp >= 0x80 && cp < 0xA0) cp = cp1252[cp - 0x80];
      append_utf8(out, static_cast<std::uint32_t>(cp));
      i = semi;
      continue;
    }
    auto it = entity_table().find(name);
    if (it == entity_table().end()) {
      out.push_back('&');
      continue;
    }
    append_utf8(out, it->second);
    i = semi;
  }
  return out;
}

std::string html_to_text(std::string_view html) {
  Renderer r;
  size_t i = 0;
  while (i < html.size()) {
    size_t lt = html.find('<', i);
    if (lt == std::string_view::npos) {
      r.text(html.substr(i));
      break;
    }
    r.text(html.substr(i, lt - i));
    if (html.compare(lt, 4, "<!--") == 0) {
      size_t end = html.find("-->", lt + 4);
      i = end == std::string_view::npos ? html.size() : end + 3;
      continue;
    }
    char next = lt + 1 < html.size() ? html[lt + 1] : ' ';
    if (!std::isalpha(static_cast<unsigned char>(next)) && next != '/' && next != '!' && next != '?') {
      r.text("<");  // "a < b": a less-than sign, not a tag
      i = lt + 1;
      continue;
    }
    size_t gt = html.find('>', lt + 1);
    if (gt == std::string_view::npos) {
      r.text(html.substr(lt));  // a lone '<' is text
      break;
    }
    std::string_view tag = html.substr(lt + 1, gt - lt - 1);
    bool closing = !tag.empty() && tag[0] == '/';
    if (closing) tag.remove_prefix(1);
    size_t name_end = 0;
    while (name_end < tag.size() && (std::isalnum(static_cast<unsigned char>(tag[name_end])) || tag[name_end] == ':'))
      ++name_end;
    std::string name = to_lower(tag.substr(0, name_end));
    i = gt + 1;
    if (name.empty()) continue;  // <!DOCTYPE>, <?xml?>, stray '<'

    if (!closing && (name == "script" || name == "style" || name == "head" || name == "title" ||
                     name == "xml" || name == "noscript")) {
      // Skip to the matching close tag; everything inside is invisible.
      size_t end = ifind(html, "</" + name, i);
      if (end == std::string_view::npos) {
        i = html.size();
      } else {
        size_t end_gt = html.find('>', end);
        i = end_gt == std::string_view::npos ? html.size() : end_gt + 1;
      }
      continue;
    }
    if (name == "br") {
      r.line_break();
      continue;
    }
    if (name == "li") {
      if (!closing) {
        r.newline(1);
        r.raw("- ");
      }
      continue;
    }
    if (name == "a") {
      if (closing) r.end_link();
      else r.start_link(attribute(tag, "href"));
      continue;
    }
    if (name == "td" || name == "th") {
      if (closing) r.raw(" ");
      continue;
    }
    if (name == "img" && !closing) {
      std::string alt = attribute(tag, "alt");
      if (!alt.empty()) r.text("[" + alt + "]");
      continue;
    }
    if (name == "pre") {
      r.newline(2);
      r.pre_ += closing ? -1 : 1;
      if (r.pre_ < 0) r.pre_ = 0;
      continue;
    }
    if (is_block_tag(name)) {
      bool paragraph = name == "p" || name[0] == 'h' || name == "blockquote" || name == "table" ||
                       name == "ul" || name == "ol";
      r.newline(paragraph ? 2 : 1);
      continue;
    }
  }
  return r.finish();
}

}  // namespace guichet::mail
