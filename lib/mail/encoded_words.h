// RFC 2047 encoded words in header text ("=?UTF-8?Q?d=C3=A9claration?=").
//
// B and Q encodings; adjacent encoded words are joined (the white space between them is dropped and
// a multi-byte character split across two words is put back together); an invalid word is left as
// written. Bare 8-bit bytes, which RFC 5322 forbids but French webmails send, are read as UTF-8,
// then windows-1252. The result is always valid UTF-8.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace guichet::mail {

std::string decode_header_text(std::string_view raw, std::vector<std::string>* problems = nullptr);

// Base64 decoding shared with RFC 2047; tolerant of missing padding and line breaks.
// Returns false on characters outside the alphabet.
bool base64_decode(std::string_view in, std::string& out);

}  // namespace guichet::mail
