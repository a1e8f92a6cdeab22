// Structured MIME header values: "multipart/mixed; boundary=x", "attachment; filename*=…".
//
// mimetic 0.9.8 neither decodes RFC 2231 (filename*=UTF-8''d%C3%A9claration.pdf, continuations
// filename*0*=…; filename*1*=…) nor the RFC 2047 words that Outlook and Gmail put inside quoted
// filenames, so guichet parses these values itself from the raw field text.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace guichet::mail {

struct HeaderValue {
  std::string value;                          // lower-cased main token: "text/plain", "attachment"
  std::map<std::string, std::string> params;  // lower-cased names, UTF-8 values

  const std::string* param(const std::string& name) const {
    auto it = params.find(name);
    return it == params.end() ? nullptr : &it->second;
  }
};

HeaderValue parse_header_value(std::string_view raw, std::vector<std::string>* problems = nullptr);

}  // namespace guichet::mail
