// Folding text for matching: lower case, accents and ligatures removed, white space collapsed.
// "Déclaration  PRÉALABLE" and "declaration prealable" fold to the same string. Used by threading
// (subjects, references) and by routing rules (accent-insensitive conditions).
// Covers Latin-1 Supplement and Latin Extended-A, which is what French mail uses; other letters
// are kept as they are (lower-cased when ASCII).
#pragma once

#include <string>
#include <string_view>

namespace guichet {

std::string fold_text(std::string_view utf8);

// Accents and ligatures removed, case and spacing kept ("Élodie" -> "Elodie"): for regular
// expressions, whose escapes (\d, \S…) lower-casing would change.
std::string strip_accents(std::string_view utf8);

}  // namespace guichet
