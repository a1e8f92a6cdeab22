// Charset conversion to UTF-8 (iconv), the way senders mean it rather than the way they label it.
//
// - "iso-8859-1", "latin1" and "us-ascii" are read as windows-1252, its superset: Outlook and
//   webmails label cp1252 text (’ € œ …) as latin-1 all the time.
// - Unlabelled or mislabelled 8-bit text is tried as UTF-8, then windows-1252.
// - Invalid bytes become U+FFFD. Nothing here throws or fails: the caller gets text and, through
//   `problem`, a sentence saying what was repaired.
#pragma once

#include <string>
#include <string_view>

namespace guichet::mail {

bool is_valid_utf8(std::string_view s);

// Replaces every invalid UTF-8 sequence with U+FFFD.
std::string sanitize_utf8(std::string_view s);

// Converts `bytes` declared as `charset` (may be empty) to valid UTF-8. When something had to be
// repaired or guessed, `problem` receives a description (otherwise it is left untouched).
std::string to_utf8(std::string_view bytes, std::string_view charset, std::string* problem = nullptr);

}  // namespace guichet::mail
