// The IMAP server's side of the wire (RFC 3501 §7, §9), read by hand: lines, literals, FETCH items.
// Nothing here does I/O, so every rule is unit-tested on bytes (tests/unit/test_imap_wire.cc).
//
// A response is one line, except that a line ending in "{N}" is followed by exactly N bytes of
// literal (which may hold anything, CRLF and ")" included) and then continues. Messages come as
// literals of FETCH responses, so a reader that looked for the end of a line inside a literal
// would cut a mail at its first blank line.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace guichet::transport {

// One response: its text with each literal left as "{N}", and the literals in order.
struct ImapLine {
  std::string text;
  std::vector<std::string> literals;

  bool untagged() const { return text.rfind("* ", 0) == 0; }
  bool continuation() const { return !text.empty() && text[0] == '+'; }
};

// Bytes in, whole responses out. Keeps what it has not consumed; never copies a literal twice.
class ImapReader {
 public:
  void feed(const char* data, size_t n);
  // The next complete response, or nullopt until more bytes come.
  std::optional<ImapLine> next();
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  std::string buf_;
  size_t pos_ = 0;
  std::optional<ImapLine> partial_;  // a response whose literal has not fully arrived
  size_t scan_ = 0;                  // where the search for the next line end resumes
  size_t literal_size_ = 0;
};

// The tag's status of a tagged response: "OK", "NO", "BAD", or "" when `line` is not tagged `tag`.
std::string tagged_status(const ImapLine& line, std::string_view tag);
// "* 12 EXISTS" → 12, for the keyword given ("EXISTS", "EXPUNGE", "RECENT").
std::optional<std::uint32_t> untagged_number(const ImapLine& line, std::string_view keyword);
// The number inside a response code: "* OK [UIDVALIDITY 3857529045] UIDs valid" → 3857529045.
std::optional<std::uint32_t> response_code_number(const ImapLine& line, std::string_view code);
// The numbers of "* SEARCH 2 5 7" (or ESEARCH's "ALL 2,5:7"), ascending, without duplicates.
std::vector<std::uint32_t> search_numbers(const ImapLine& line);

// What one FETCH response says about one message.
struct FetchItem {
  std::uint32_t seq = 0;
  std::optional<std::uint32_t> uid;
  std::optional<std::set<std::string>> flags;
  std::optional<std::uint64_t> size;  // RFC822.SIZE
  std::optional<std::string> body;    // BODY[] (NIL is an empty message)
};
// nullopt when `line` is not "* n FETCH (…)" or its list does not parse.
std::optional<FetchItem> parse_fetch(ImapLine& line);

}  // namespace guichet::transport
