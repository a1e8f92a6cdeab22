// Small string helpers shared by the parsers. ASCII-only case folding on purpose: mail syntax
// (header names, charsets, tokens) is ASCII; human text goes through the charset module.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace guichet {

std::string_view trim(std::string_view s);
std::string to_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);
bool icontains(std::string_view haystack, std::string_view needle);
std::vector<std::string_view> split(std::string_view s, char sep);
// 0-15 for a hexadecimal digit, -1 otherwise.
int hex_digit_value(char c);
// Collapses runs of ASCII white space (including folded header line breaks) into one space.
std::string collapse_spaces(std::string_view s);
// `utf8` cut to at most `max_chars` characters (whole UTF-8 sequences), the last one an ellipsis
// when something was cut.
std::string shorten(std::string_view utf8, size_t max_chars);

}  // namespace guichet
