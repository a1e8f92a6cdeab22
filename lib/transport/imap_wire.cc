#include "transport/imap_wire.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace guichet::transport {

namespace {

// The size of the literal a line segment announces at its end ("{35}", "{35+}", "~{35}").
std::optional<size_t> literal_at_end(std::string_view s) {
  if (s.empty() || s.back() != '}') return std::nullopt;
  const size_t open = s.rfind('{');
  if (open == std::string_view::npos) return std::nullopt;
  std::string_view digits = s.substr(open + 1, s.size() - open - 2);
  if (!digits.empty() && digits.back() == '+') digits.remove_suffix(1);
  if (digits.empty() || digits.size() > 12) return std::nullopt;
  size_t n = 0;
  for (char c : digits) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  return n;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) == std::toupper(static_cast<unsigned char>(y));
         });
}

std::optional<std::uint64_t> number(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

// A cursor over one response's text, taking its literals in order when it meets "{N}".
class Cursor {
 public:
  explicit Cursor(ImapLine& line) : line_(line), s_(line.text) {}

  void seek(size_t i) { i_ = i; }
  bool done() const { return i_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  void skip_spaces() {
    while (!done() && s_[i_] == ' ') ++i_;
  }
  bool take(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  // An atom, with what a section holds ("BODY[HEADER.FIELDS (FROM)]<0>") kept whole.
  std::string_view atom() {
    const size_t start = i_;
    int depth = 0;
    while (!done()) {
      const char c = s_[i_];
      if (c == '[') ++depth;
      if (c == ']') --depth;
      if (depth <= 0 && (c == ' ' || c == ')' || c == '(')) break;
      ++i_;
    }
    return std::string_view(s_).substr(start, i_ - start);
  }

  struct Value {
    enum class Kind { atom, string, list, nil } kind = Kind::nil;
    std::string text;                // atom or string
    std::vector<std::string> items;  // the atoms and strings of a flat list
  };

  std::optional<Value> value() {
    skip_spaces();
    Value v;
    if (take('(')) {
      v.kind = Value::Kind::list;
      int depth = 1;
      while (depth > 0) {
        skip_spaces();
        if (done()) return std::nullopt;
        if (take('(')) {
          ++depth;
        } else if (take(')')) {
          --depth;
        } else {
          auto inner = scalar();
          if (!inner) return std::nullopt;
          if (depth == 1 && inner->kind != Value::Kind::nil) v.items.push_back(std::move(inner->text));
        }
      }
      return v;
    }
    return scalar();
  }

 private:
  std::optional<Value> scalar() {
    Value v;
    if (take('"')) {
      v.kind = Value::Kind::string;
      while (!done() && s_[i_] != '"') {
        if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;
        v.text.push_back(s_[i_++]);
      }
      if (!take('"')) return std::nullopt;
      return v;
    }
    if (peek() == '~') ++i_;  // literal8
    if (take('{')) {
      const size_t close = s_.find('}', i_);
      if (close == std::string::npos || next_literal_ >= line_.literals.size()) return std::nullopt;
      i_ = close + 1;
      v.kind = Value::Kind::string;
      v.text = std::move(line_.literals[next_literal_++]);
      return v;
    }
    const std::string_view a = atom();
    if (a.empty()) return std::nullopt;
    if (iequals(a, "NIL")) return v;
    v.kind = Value::Kind::atom;
    v.text = std::string(a);
    return v;
  }

  ImapLine& line_;
  const std::string& s_;
  size_t i_ = 0;
  size_t next_literal_ = 0;
};

}  // namespace

void ImapReader::feed(const char* data, size_t n) {
  // Drop what was consumed once it is most of the buffer: appends stay amortised O(1).
  if (pos_ > 0 && (pos_ == buf_.size() || pos_ > buf_.size() / 2)) {
    buf_.erase(0, pos_);
    scan_ = scan_ > pos_ ? scan_ - pos_ : 0;
    pos_ = 0;
  }
  buf_.append(data, n);
}

std::optional<ImapLine> ImapReader::next() {
  for (;;) {
    if (partial_ && literal_size_ > 0) {
      if (buf_.size() - pos_ < literal_size_) return std::nullopt;
      partial_->literals.emplace_back(buf_, pos_, literal_size_);
      pos_ += literal_size_;
      scan_ = pos_;
      literal_size_ = 0;
    }
    if (scan_ < pos_) scan_ = pos_;
    const void* nl = std::memchr(buf_.data() + scan_, '\n', buf_.size() - scan_);
    if (!nl) {
      scan_ = buf_.size();
      return std::nullopt;
    }
    const size_t end = static_cast<size_t>(static_cast<const char*>(nl) - buf_.data());
    size_t text_end = end;
    if (text_end > pos_ && buf_[text_end - 1] == '\r') --text_end;
    std::string_view segment(buf_.data() + pos_, text_end - pos_);
    if (!partial_) partial_.emplace();
    partial_->text.append(segment);
    pos_ = end + 1;
    scan_ = pos_;
    if (auto n = literal_at_end(segment)) {
      literal_size_ = *n;
      if (literal_size_ == 0) partial_->literals.emplace_back();
      continue;
    }
    ImapLine done = std::move(*partial_);
    partial_.reset();
    return done;
  }
}

std::string tagged_status(const ImapLine& line, std::string_view tag) {
  const std::string& t = line.text;
  if (t.size() <= tag.size() + 1 || t.compare(0, tag.size(), tag) != 0 || t[tag.size()] != ' ') return "";
  const size_t start = tag.size() + 1;
  const size_t sp = t.find(' ', start);
  std::string status = t.substr(start, sp == std::string::npos ? std::string::npos : sp - start);
  std::transform(status.begin(), status.end(), status.begin(), [](unsigned char c) { return std::toupper(c); });
  return status == "OK" || status == "NO" || status == "BAD" ? status : "";
}

std::optional<std::uint32_t> untagged_number(const ImapLine& line, std::string_view keyword) {
  if (!line.untagged()) return std::nullopt;
  const std::string& t = line.text;
  const size_t sp = t.find(' ', 2);
  if (sp == std::string::npos) return std::nullopt;
  auto n = number(std::string_view(t).substr(2, sp - 2));
  std::string_view rest = std::string_view(t).substr(sp + 1);
  if (!n || !iequals(rest.substr(0, keyword.size()), keyword) ||
      (rest.size() > keyword.size() && rest[keyword.size()] != ' '))
    return std::nullopt;
  return static_cast<std::uint32_t>(*n);
}

std::optional<std::uint32_t> response_code_number(const ImapLine& line, std::string_view code) {
  const std::string& t = line.text;
  const size_t open = t.find('[');
  if (open == std::string::npos) return std::nullopt;
  std::string_view inside = std::string_view(t).substr(open + 1);
  if (!iequals(inside.substr(0, code.size()), code) || inside.size() <= code.size() || inside[code.size()] != ' ')
    return std::nullopt;
  inside.remove_prefix(code.size() + 1);
  const size_t close = inside.find_first_of("] ");
  auto n = number(inside.substr(0, close));
  if (!n) return std::nullopt;
  return static_cast<std::uint32_t>(*n);
}

std::vector<std::uint32_t> search_numbers(const ImapLine& line) {
  std::vector<std::uint32_t> out;
  const std::string& t = line.text;
  std::string_view rest;
  if (iequals(std::string_view(t).substr(0, 9), "* SEARCH ")) {
    rest = std::string_view(t).substr(9);
  } else if (iequals(std::string_view(t).substr(0, 10), "* ESEARCH ")) {
    const size_t all = t.find(" ALL ");
    if (all == std::string::npos) return out;
    rest = std::string_view(t).substr(all + 5);
    rest = rest.substr(0, rest.find(' '));
  } else {
    return out;
  }
  // Numbers, and in ESEARCH ranges "5:7" separated by commas.
  size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && (rest[i] == ' ' || rest[i] == ',')) ++i;
    size_t j = i;
    while (j < rest.size() && rest[j] != ' ' && rest[j] != ',') ++j;
    std::string_view token = rest.substr(i, j - i);
    i = j;
    const size_t colon = token.find(':');
    auto a = number(token.substr(0, colon));
    if (!a) continue;
    auto b = colon == std::string_view::npos ? a : number(token.substr(colon + 1));
    if (!b) continue;
    for (std::uint64_t u = std::min(*a, *b); u <= std::max(*a, *b) && out.size() < 10'000'000; ++u)
      out.push_back(static_cast<std::uint32_t>(u));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<FetchItem> parse_fetch(ImapLine& line) {
  auto seq = untagged_number(line, "FETCH");
  if (!seq) return std::nullopt;
  FetchItem item;
  item.seq = *seq;
  Cursor c(line);
  c.seek(line.text.find(" FETCH") + 6);
  c.skip_spaces();
  if (!c.take('(')) return std::nullopt;
  for (;;) {
    c.skip_spaces();
    if (c.take(')')) return item;
    if (c.done()) return std::nullopt;
    const std::string name(c.atom());
    if (name.empty()) return std::nullopt;
    auto v = c.value();
    if (!v) return std::nullopt;
    using Kind = Cursor::Value::Kind;
    if (iequals(name, "UID")) {
      auto n = number(v->text);
      if (!n) return std::nullopt;
      item.uid = static_cast<std::uint32_t>(*n);
    } else if (iequals(name, "FLAGS")) {
      if (v->kind != Kind::list) return std::nullopt;
      item.flags = std::set<std::string>(v->items.begin(), v->items.end());
    } else if (iequals(name, "RFC822.SIZE")) {
      item.size = number(v->text);
    } else if (iequals(name, "BODY[]") || iequals(name, "RFC822") || iequals(name, "BINARY[]")) {
      if (v->kind == Kind::list) return std::nullopt;
      item.body = std::move(v->text);
    }
  }
}

}  // namespace guichet::transport
