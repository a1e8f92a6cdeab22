#include "mail/dsn.h"

#include <string_view>

#include "util/strings.h"

namespace guichet::mail {

std::vector<std::string> returned_message_ids(const Message& dsn) {
  std::vector<std::string> ids;
  auto scan = [&ids](std::string_view text) {
    size_t pos = 0;
    while ((pos = text.find("essage-", pos)) != std::string_view::npos) {
      // "Message-ID:" / "Message-Id:" at the start of a line, any case.
      const size_t start = pos >= 1 ? pos - 1 : 0;
      pos += 7;
      if (start > 0 && text[start - 1] != '\n') continue;
      if (text.size() < start + 11 || to_lower(text.substr(start, 11)) != "message-id:") continue;
      const size_t open = text.find('<', start);
      const size_t eol = text.find('\n', start);
      if (open == std::string_view::npos || (eol != std::string_view::npos && open > eol)) continue;
      const size_t close = text.find('>', open);
      if (close == std::string_view::npos) continue;
      ids.emplace_back(text.substr(open + 1, close - open - 1));
    }
  };
  for (const auto& a : dsn.attachments) {
    if (a.content_type == "text/rfc822-headers" || a.content_type == "message/rfc822" ||
        a.content_type == "message/rfc822-headers")
      scan(a.content);
  }
  scan(dsn.text);
  return ids;
}

}  // namespace guichet::mail
