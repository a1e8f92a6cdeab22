// Message: what guichet sees in one email, decoded to UTF-8.
//
// Built by mail::parse() from raw bytes; never refers back to them. Every string is valid UTF-8.
// What could not be decoded is repaired (U+FFFD) and described in `problems`, never dropped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace guichet::mail {

struct Address {
  std::string name;     // display name, decoded; empty when absent
  std::string address;  // addr-spec as written (local@domain), no angle brackets

  bool operator==(const Address&) const = default;
};

struct Attachment {
  std::string filename;      // decoded (RFC 2047 / RFC 2231); may be empty
  std::string content_type;  // lower-case type/subtype
  std::uint64_t size = 0;    // decoded size in bytes
  std::string sha256;        // of the decoded content
  std::string content;       // decoded bytes
};

struct Message {
  std::string message_id;  // without angle brackets; empty when the mail has none
  std::vector<std::string> in_reply_to;
  std::vector<std::string> references;
  std::optional<std::int64_t> date;  // Date: header in UTC seconds, if it parses
  std::vector<Address> from, sender, reply_to, to, cc;
  std::string subject;
  std::string text;                 // the readable body: text/plain, or rendered from HTML
  std::optional<std::string> html;  // the HTML body, when there is one
  std::vector<Attachment> attachments;

  // RFC 3834 and friends: mail that must never get an automatic answer.
  bool auto_submitted = false;
  bool bounce = false;
  bool list = false;

  // Raw header values kept for later stages (loop detection, threading, authentication).
  std::string auto_submitted_header;
  std::string precedence;
  std::string list_id;
  std::optional<std::string> return_path;  // "" for the null sender <>
  std::string x_loop;
  std::string thread_index;
  std::string thread_topic;
  std::string authentication_results;
  // The address this copy was delivered to (Delivered-To, else X-Original-To), when the MTA says.
  std::string delivered_to;
  // Received: headers, topmost first (when the mail reached each hop).
  std::vector<std::string> received;

  // Every top-level header field, sorted by lower-case name (repeated fields in their order),
  // value decoded to UTF-8: what routing rules on "any header" look at.
  std::vector<std::pair<std::string, std::string>> headers;

  std::vector<std::string> problems;
};

}  // namespace guichet::mail
