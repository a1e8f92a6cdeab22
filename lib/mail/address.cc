#include "mail/address.h"

#include "mail/charset.h"
#include "mail/encoded_words.h"
#include "util/strings.h"
#include "util/text_fold.h"

namespace guichet::mail {

namespace {

// Removes (comments), keeping their text in `comment` (nested comments allowed).
std::string strip_comments(std::string_view s, std::string* comment) {
  std::string out;
  int depth = 0;
  bool quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quoted) {
      out.push_back(c);
      if (c == '\\' && i + 1 < s.size()) out.push_back(s[++i]);
      else if (c == '"') quoted = false;
      continue;
    }
    if (depth > 0) {
      if (c == '\\' && i + 1 < s.size()) {
        if (comment) comment->push_back(s[++i]);
      } else if (c == '(') {
        ++depth;
      } else if (c == ')') {
        --depth;
      } else if (comment) {
        comment->push_back(c);
      }
      continue;
    }
    if (c == '(') {
      depth = 1;
      if (comment && !comment->empty()) comment->push_back(' ');
    } else {
      if (c == '"') quoted = true;
      out.push_back(c);
    }
  }
  return out;
}

// Display name: unquote, unescape, decode encoded words, fold white space.
std::string clean_name(std::string_view raw, std::vector<std::string>* problems) {
  std::string unquoted;
  bool quoted = false;
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '"') {
      quoted = !quoted;
      continue;
    }
    if (c == '\\' && quoted && i + 1 < raw.size()) c = raw[++i];
    unquoted.push_back(c);
  }
  std::string name = collapse_spaces(decode_header_text(unquoted, problems));
  // Decoded names sometimes still carry their own quotes: "=?utf-8?Q?=22Jean=22?=".
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
  if (name.size() >= 2 && name.front() == '\'' && name.back() == '\'') name = name.substr(1, name.size() - 2);
  return std::string(trim(name));
}

std::string clean_addr(std::string_view raw) {
  std::string out;
  bool quoted = false;
  for (char c : raw) {
    if (c == '"') quoted = !quoted;
    if (!quoted && (c == ' ' || c == '\t' || c == '\r' || c == '\n')) continue;
    out.push_back(c);
  }
  // Obsolete source route: <@relay1,@relay2:user@domain>.
  if (!out.empty() && out.front() == '@') {
    if (auto colon = out.find(':'); colon != std::string::npos) out.erase(0, colon + 1);
  }
  return out;
}

void parse_one(std::string_view item, std::vector<Address>& out, std::vector<std::string>* problems) {
  item = trim(item);
  if (item.empty()) return;
  // Find a top-level angle address.
  bool quoted = false;
  int comment = 0;
  size_t lt = std::string_view::npos;
  for (size_t i = 0; i < item.size(); ++i) {
    char c = item[i];
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
    } else if (comment > 0) {
      if (c == '(') ++comment;
      else if (c == ')') --comment;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '(') {
      comment = 1;
    } else if (c == '<') {
      lt = i;
      break;
    }
  }
  Address a;
  if (lt != std::string_view::npos) {
    size_t gt = item.find('>', lt);
    std::string_view inside = item.substr(lt + 1, gt == std::string_view::npos ? std::string_view::npos : gt - lt - 1);
    a.address = clean_addr(strip_comments(inside, nullptr));
    std::string comment_text;
    std::string before = strip_comments(item.substr(0, lt), &comment_text);
    a.name = clean_name(before, problems);
    if (a.name.empty() && !comment_text.empty()) a.name = clean_name(comment_text, problems);
    if (gt == std::string_view::npos && problems)
      problems->push_back("address without closing '>': " + sanitize_utf8(item));
  } else {
    std::string comment_text;
    std::string bare = strip_comments(item, &comment_text);
    a.address = clean_addr(bare);
    a.name = clean_name(comment_text, problems);
  }
  a.address = sanitize_utf8(a.address);  // raw header bytes: may be anything
  if (a.address.empty() && a.name.empty()) return;
  if (a.address.empty()) {
    // "Jean Dupont" alone: not an address, but worth keeping visible.
    if (problems) problems->push_back("address without addr-spec: " + a.name);
    return;
  }
  if (!is_plausible_address(a.address) && problems) problems->push_back("implausible address: " + a.address);
  out.push_back(std::move(a));
}

}  // namespace

std::vector<Address> parse_address_list(std::string_view raw, std::vector<std::string>* problems) {
  std::vector<Address> out;
  bool quoted = false;
  int comment = 0;
  int angle = 0;
  size_t start = 0;
  for (size_t i = 0; i <= raw.size(); ++i) {
    char c = i < raw.size() ? raw[i] : ',';
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
      if (i < raw.size()) continue;
      c = ',';
    }
    if (comment > 0) {
      if (c == '(') ++comment;
      else if (c == ')') --comment;
      if (i < raw.size()) continue;
      c = ',';
    }
    if (c == '"') {
      quoted = true;
    } else if (c == '(') {
      comment = 1;
    } else if (c == '<') {
      ++angle;
    } else if (c == '>') {
      if (angle > 0) --angle;
    } else if (angle == 0 && c == ':') {
      // "Group name:" — the name is not an address; what follows is.
      start = i + 1;
    } else if ((angle == 0 || i == raw.size()) && (c == ',' || c == ';')) {
      parse_one(raw.substr(start, std::min(i, raw.size()) - start), out, problems);
      start = i + 1;
      angle = 0;
    }
  }
  return out;
}

bool is_plausible_address(std::string_view address) {
  if (address.empty() || address.size() > 320) return false;
  size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) return false;
  for (char c : address) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F || c == '<' || c == '>' || c == ',' || c == ';') return false;
  }
  return true;
}

bool valid_address(std::string_view a) {
  const size_t at = a.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= a.size() || a.find('@', at + 1) != std::string_view::npos)
    return false;
  if (a.size() > 254) return false;
  for (char ch : a) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7F) return false;
    if (std::string_view("<>()[]\\,;:\"").find(ch) != std::string_view::npos) return false;
  }
  return a.back() != '.' && a[at + 1] != '.';
}

MachineAddress machine_address(std::string_view address) {
  const std::string local = to_lower(strip_accents(address.substr(0, address.find('@'))));
  std::string squeezed;
  for (char c : local)
    if (c != '-' && c != '_' && c != '.') squeezed.push_back(c);
  if (squeezed == "mailerdaemon" || squeezed == "postmaster") return MachineAddress::bounce_sender;
  for (const char* p : {"noreply", "nepasrepondre", "donotreply", "dontreply", "mailerdaemon", "postmaster", "bounce",
                        "listserv", "majordomo"}) {
    if (squeezed.rfind(p, 0) == 0) return MachineAddress::no_reply;
  }
  return MachineAddress::none;
}

}  // namespace guichet::mail
