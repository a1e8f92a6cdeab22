#include <catch2/catch.hpp>

#include "mail/date.h"

using guichet::mail::format_rfc3339;
using guichet::mail::parse_date;

namespace {
std::string d(const char* s) {
  auto t = parse_date(s);
  return t ? format_rfc3339(*t) : "null";
}
}  // namespace

TEST_CASE("RFC 5322 dates to UTC", "[date]") {
  CHECK(d("Tue, 3 Nov 2026 14:05:00 +0100") == "2026-11-03T13:05:00Z");
  CHECK(d("3 Nov 2026 14:05 +0100") == "2026-11-03T13:05:00Z");
  CHECK(d("Sun, 29 Mar 2026 03:30:00 +0200 (CEST)") == "2026-03-29T01:30:00Z");
  CHECK(d("Mon, 31 Dec 2029 23:59:59 -0500") == "2030-01-01T04:59:59Z");
  CHECK(d("Thu, 29 Feb 2024 12:00:00 GMT") == "2024-02-29T12:00:00Z");
}

TEST_CASE("obsolete and sloppy forms", "[date]") {
  CHECK(d("Tue, 3 Nov 26 14:05:00 +0100") == "2026-11-03T13:05:00Z");
  CHECK(d("Tue, 3 Nov 99 14:05:00 EST") == "1999-11-03T19:05:00Z");
  CHECK(d("Tue,  3 Nov 2026 14:05:00 CEST") == "2026-11-03T12:05:00Z");
  CHECK(d("3 d\xC3\xA9" "c. 2026 10:00:00 +0100") == "2026-12-03T09:00:00Z");
  CHECK(d("Nov 3 2026 14:05:00 +0000") == "2026-11-03T14:05:00Z");
  CHECK(d("2026-11-03T14:05:00+01:00") == "2026-11-03T13:05:00Z");
  CHECK(d("2026-11-03 14:05:00Z") == "2026-11-03T14:05:00Z");
}

TEST_CASE("unreadable dates are null, not guesses", "[date]") {
  CHECK(d("") == "null");
  CHECK(d("yesterday") == "null");
  CHECK(d("32 Nov 2026 10:00 +0100") == "null");
  CHECK(d("3 Nov 2026 25:00 +0100") == "null");
}

TEST_CASE("Received: dates come after the last semicolon", "[date]") {
  auto t = guichet::mail::parse_received_date("from a by b; with ESMTP id x; Tue, 3 Nov 2026 14:05:10 +0100");
  REQUIRE(t);
  CHECK(format_rfc3339(*t) == "2026-11-03T13:05:10Z");
}
