// mail::parse(): raw RFC 5322 bytes to a decoded Message. Never throws, never fails.
//
// Input is untrusted. mimetic 0.9.8 supplies the MIME structure, unfolded header fields and the
// transfer decoders; guichet supplies what it lacks or gets wrong (../docs/ARCHITECTURE.md):
//   - RFC 2047 words and RFC 2231 parameters, charset conversion (iconv), HTML rendering;
//   - address lists (mimetic's to()/cc() crash on "undisclosed-recipients:");
//   - header look-ups only through a const Header and hasField(), because messageid() invents an
//     ID and a non-const field() inserts the field;
//   - size and nesting caps checked before mimetic runs: tens of thousands of nested multiparts
//     overflow its recursive parser's stack.
// What was repaired or skipped is listed in Message::problems.
#pragma once

#include <cstddef>
#include <string_view>

#include "mail/message.h"

namespace guichet::mail {

struct ParseLimits {
  // Above this, only the header is parsed; the raw mail is still stored whole by the caller.
  std::size_t max_message_bytes = 64u << 20;
  // Multipart containers allowed before the body is left unparsed (stack overflow guard).
  int max_multiparts = 100;
};

Message parse(std::string_view raw, const ParseLimits& limits = {});

}  // namespace guichet::mail
