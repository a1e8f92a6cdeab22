// A readable plain-text rendering of an HTML mail body, for agents, search and routing rules.
//
// Keeps paragraphs and line breaks, renders list items as "- ", keeps links as "text <url>",
// decodes character references (named and numeric), drops scripts, styles and the head.
// It is not a browser: it assumes nothing about well-formedness and never fails.
#pragma once

#include <string>
#include <string_view>

namespace guichet::mail {

std::string html_to_text(std::string_view html);

// Decodes &eacute; &#233; &#xE9; … in `s` (UTF-8 in, UTF-8 out). Unknown references stay as written.
std::string decode_html_entities(std::string_view s);

}  // namespace guichet::mail
