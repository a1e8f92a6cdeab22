// RFC 2047 encoded words in header text ("=?UTF-8?Q?d=C3=A9claration?=").
//
// B and Q encodings; adjacent encoded words are joined (the white space between them is dropped and
// a multi-byte character split across two words is put back together); an invalid word is left as
// written. Bare 8-bit bytes, which RFC 5322 forbids but French webmails send, are read as UTF-8,
// then windows-1252. The result is always valid UTF-8.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace guichet::mail {

std::string decode_header_text(std::string_view raw, std::vector<std::string>* problems = nullptr);

struct Base64Stats {
  size_t invalid = 0;      // characters outside the alphabet (skipped)
  bool truncated = false;  // the input does not end on a 4-character group
};

// Base64 decoding for encoded words and bodies: line breaks and padding are skipped, characters
// outside the alphabet are skipped and counted. Returns false when there were any.
// (mimetic's decoder works a byte at a time through an output iterator: 5x slower on attachments.)
bool base64_decode(std::string_view in, std::string& out, Base64Stats* stats = nullptr);

}  // namespace guichet::mail
