#include <catch2/catch.hpp>

#include "mail/address.h"

using guichet::mail::Address;
using guichet::mail::parse_address_list;

TEST_CASE("common address forms", "[address]") {
  auto a = parse_address_list("Jean Dupont <jean@example.fr>, marie@example.fr, \"Dupont, Marie\" <m@x.fr>");
  REQUIRE(a.size() == 3);
  CHECK(a[0] == Address{"Jean Dupont", "jean@example.fr"});
  CHECK(a[1] == Address{"", "marie@example.fr"});
  CHECK(a[2] == Address{"Dupont, Marie", "m@x.fr"});
}

TEST_CASE("encoded and 8-bit display names", "[address]") {
  auto a = parse_address_list("=?UTF-8?Q?Am=C3=A9lie_Martin?= <amelie@x.fr>, G\xC3\xA9rard <g@x.fr>");
  REQUIRE(a.size() == 2);
  CHECK(a[0].name == "Amélie Martin");
  CHECK(a[1].name == "Gérard");
}

TEST_CASE("groups, including undisclosed-recipients without the final semicolon", "[address]") {
  CHECK(parse_address_list("undisclosed-recipients:").empty());
  CHECK(parse_address_list("undisclosed-recipients:;").empty());
  auto g = parse_address_list("Élus: a@x.fr, b@x.fr;, c@x.fr");
  REQUIRE(g.size() == 3);
  CHECK(g[2].address == "c@x.fr");
}

TEST_CASE("comments, routes and odd spacing", "[address]") {
  auto a = parse_address_list("jean@example.fr (Jean Valjean)");
  REQUIRE(a.size() == 1);
  CHECK(a[0] == Address{"Jean Valjean", "jean@example.fr"});
  auto r = parse_address_list("<@relay.example:user@example.fr>");
  REQUIRE(r.size() == 1);
  CHECK(r[0].address == "user@example.fr");
  auto s = parse_address_list("  Paul   Martin  < paul@example.fr >  ");
  REQUIRE(s.size() == 1);
  CHECK(s[0] == Address{"Paul Martin", "paul@example.fr"});
}

TEST_CASE("garbage is skipped and reported, never a crash", "[address]") {
  std::vector<std::string> problems;
  auto a = parse_address_list("Jean Dupont, <>, \"unterminated <x@y.fr", &problems);
  for (const auto& x : a) CHECK_FALSE(x.address.empty());
  CHECK_FALSE(problems.empty());
  CHECK(parse_address_list("").empty());
  CHECK(parse_address_list(",,,;;;:::").empty());
}

TEST_CASE("address plausibility guards the SMTP envelope", "[address]") {
  CHECK(guichet::mail::is_plausible_address("jean@example.fr"));
  CHECK_FALSE(guichet::mail::is_plausible_address("jean@example.fr\r\nRCPT TO:<x@y>"));
  CHECK_FALSE(guichet::mail::is_plausible_address("no-at-sign"));
  CHECK_FALSE(guichet::mail::is_plausible_address("a b@example.fr"));
}
