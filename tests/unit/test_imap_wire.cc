// The IMAP wire reader (lib/transport/imap_wire): responses, literals and FETCH items, on bytes.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "transport/imap_wire.h"

using namespace guichet::transport;

namespace {
std::vector<ImapLine> read_all(const std::string& bytes, size_t step) {
  ImapReader r;
  std::vector<ImapLine> out;
  for (size_t i = 0; i < bytes.size(); i += step) {
    r.feed(bytes.data() + i, std::min(step, bytes.size() - i));
    while (auto l = r.next()) out.push_back(std::move(*l));
  }
  return out;
}
}  // namespace

TEST_CASE("lines and literals, whatever the size of the pieces the network hands over", "[imap][wire]") {
  // A message whose own text looks like IMAP: a line ending in "{5}", a ")" alone, "g0001 OK".
  const std::string mail = "Subject: {5}\r\n\r\n)\r\ng0001 OK not the end\r\n* 3 EXISTS\r\n";
  const std::string bytes = "* 1 FETCH (UID 7 BODY[] {" + std::to_string(mail.size()) + "}\r\n" + mail +
                            ")\r\n* 2 EXISTS\r\ng0001 OK Fetch completed.\r\n";
  for (size_t step : {size_t{1}, size_t{3}, size_t{17}, bytes.size()}) {
    INFO("pieces of " << step);
    auto lines = read_all(bytes, step);
    REQUIRE(lines.size() == 3);
    REQUIRE(lines[0].literals.size() == 1);
    CHECK(lines[0].literals[0] == mail);
    CHECK(lines[0].text == "* 1 FETCH (UID 7 BODY[] {" + std::to_string(mail.size()) + "})");
    CHECK(untagged_number(lines[1], "EXISTS") == 2u);
    CHECK(tagged_status(lines[2], "g0001") == "OK");
    CHECK(tagged_status(lines[2], "g0002").empty());
    auto item = parse_fetch(lines[0]);
    REQUIRE(item);
    CHECK(item->seq == 1);
    CHECK(item->uid == 7u);
    CHECK(item->body == mail);
  }
}

TEST_CASE("FETCH items in any order, flags, sizes, quoted and empty bodies, unasked flag updates", "[imap][wire]") {
  ImapLine l{"* 12 FETCH (FLAGS (\\Seen $Guichet) RFC822.SIZE 2048 UID 40 BODY[] {3})", {"abc"}};
  auto item = parse_fetch(l);
  REQUIRE(item);
  CHECK(item->uid == 40u);
  CHECK(item->size == 2048u);
  CHECK(item->flags == std::set<std::string>{"\\Seen", "$Guichet"});
  CHECK(item->body == "abc");

  ImapLine quoted{R"(* 1 FETCH (UID 2 BODY[] "a \"b\" c"))", {}};
  item = parse_fetch(quoted);
  REQUIRE(item);
  CHECK(item->body == "a \"b\" c");

  ImapLine nil{"* 1 FETCH (UID 2 BODY[] NIL)", {}};
  item = parse_fetch(nil);
  REQUIRE(item);
  CHECK(item->body == "");

  ImapLine empty{"* 1 FETCH (UID 3 BODY[] {0})", {""}};
  item = parse_fetch(empty);
  REQUIRE(item);
  CHECK(item->body == "");

  // Another client read message 5: the server says so unasked, with no UID and no body.
  ImapLine unasked{"* 5 FETCH (FLAGS (\\Seen))", {}};
  item = parse_fetch(unasked);
  REQUIRE(item);
  CHECK_FALSE(item->uid);
  CHECK_FALSE(item->body);

  // Sections with spaces, INTERNALDATE and MODSEQ are read past.
  ImapLine other{
      "* 4 FETCH (INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" MODSEQ (12) "
      "BODY[HEADER.FIELDS (FROM TO)] {2} UID 9)",
      {"x:"}};
  item = parse_fetch(other);
  REQUIRE(item);
  CHECK(item->uid == 9u);
  CHECK_FALSE(item->body);

  ImapLine broken{"* 4 FETCH (UID", {}};
  CHECK_FALSE(parse_fetch(broken));
  ImapLine not_fetch{"* 4 EXISTS", {}};
  CHECK_FALSE(parse_fetch(not_fetch));
}

TEST_CASE("SELECT codes, SEARCH and ESEARCH answers", "[imap][wire]") {
  CHECK(response_code_number({"* OK [UIDVALIDITY 3857529045] UIDs valid", {}}, "UIDVALIDITY") == 3857529045u);
  CHECK(response_code_number({"* OK [UIDNEXT 4392] Predicted next UID", {}}, "UIDNEXT") == 4392u);
  CHECK_FALSE(response_code_number({"* OK [UIDNEXT 4392] x", {}}, "UIDVALIDITY"));
  CHECK(search_numbers({"* SEARCH 2 84 882", {}}) == std::vector<std::uint32_t>{2, 84, 882});
  CHECK(search_numbers({"* SEARCH", {}}).empty());
  CHECK(search_numbers({"* ESEARCH (TAG \"g3\") UID ALL 2,5:7,9", {}}) == std::vector<std::uint32_t>{2, 5, 6, 7, 9});
  CHECK(untagged_number({"* 0 RECENT", {}}, "RECENT") == 0u);
  CHECK_FALSE(untagged_number({"* 3 EXISTSX", {}}, "EXISTS"));
  CHECK(tagged_status({"g0007 NO [TRYCREATE] Mailbox doesn't exist", {}}, "g0007") == "NO");
  CHECK(tagged_status({"g0007 bad syntax", {}}, "g0007") == "BAD");
}

TEST_CASE("a large mailbox read in network-sized pieces keeps every byte of every message", "[imap][wire]") {
  std::string bytes;
  std::vector<std::string> mails;
  for (int i = 0; i < 300; ++i) {
    std::string m =
        "Subject: " + std::to_string(i) + "\r\n\r\n" + std::string(static_cast<size_t>(i * 97 % 5000), 'x') + "\r\n";
    mails.push_back(m);
    bytes += "* " + std::to_string(i + 1) + " FETCH (UID " + std::to_string(i + 10) + " BODY[] {" +
             std::to_string(m.size()) + "}\r\n" + m + ")\r\n";
  }
  bytes += "g0002 OK done\r\n";
  auto lines = read_all(bytes, 16384);
  REQUIRE(lines.size() == 301);
  for (int i = 0; i < 300; ++i) {
    auto item = parse_fetch(lines[static_cast<size_t>(i)]);
    REQUIRE(item);
    CHECK(item->uid == static_cast<std::uint32_t>(i + 10));
    CHECK(item->body == mails[static_cast<size_t>(i)]);
  }
}
