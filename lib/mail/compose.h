// Composing the mail guichet sends: RFC 5322 headers with RFC 2047 encoded words, a text/plain
// UTF-8 body in quoted-printable, CRLF line endings, no line over 998 octets.
//
// Nothing taken from a resident's mail or from a configuration file can reach a header or an SMTP
// envelope raw: every address must pass valid_address() (libcurl sends a CR/LF inside a
// MAIL_RCPT address as is: SMTP command injection), and every display name and subject is either
// plain printable ASCII or encoded words, with control characters turned into spaces first.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mail/address.h"
#include "mail/message.h"
#include "util/result.h"

namespace guichet::mail {

struct OutgoingAttachment {
  std::string filename;      // UTF-8; written with RFC 2231 (and RFC 2047 for old clients)
  std::string content_type;  // "application/pdf"; checked, else application/octet-stream
  std::string content;       // the bytes
};

// The content type of a file joined by a person (a letter's scan), from its name's extension:
// PDF, JPEG, PNG, TIFF, text; anything else application/octet-stream.
std::string content_type_of_file(const std::string& filename);

struct Outgoing {
  Address from;
  Address reply_to;  // empty address: none
  Address to;
  std::string subject;
  std::string message_id;  // without angle brackets (new_message_id())
  std::vector<std::string> in_reply_to;
  std::vector<std::string> references;
  std::string auto_submitted;  // "auto-replied" (acknowledgements) or "auto-generated" (notices)
  std::int64_t date = 0;
  std::string body;  // UTF-8 text, any line endings
  std::vector<OutgoingAttachment> attachments;  // none: a single text/plain part
  // Further fields (ASCII names and values, checked like the rest): the loop marker, the reference.
  std::vector<std::pair<std::string, std::string>> extra;
};

// A Message-ID on `domain` made of 128 random bits: unguessable, and revealing nothing (no time,
// host or counter). Without angle brackets.
std::string new_message_id(std::string_view domain);

// "[Réf. 2026-000042] original subject", without piling up "Re:", "TR:", "Fwd:" or earlier tags.
std::string tagged_subject(std::string_view prefix, std::string_view reference, std::string_view original);

// The complete message, CRLF line endings: text/plain, or multipart/mixed with the attachments in
// base64. Errc::data when an address is unsafe.
Result<std::string> compose(const Outgoing& m);

// RFC 2047 "B" encoded words for `text` (split on character boundaries, each at most 75 octets),
// or `text` itself when it is short printable ASCII. Control characters become spaces.
std::string encode_header_text(std::string_view text);

// Quoted-printable (RFC 2045) of UTF-8 text; line endings become CRLF, lines at most 76 octets.
std::string quoted_printable(std::string_view text);

// RFC 5322 date in the process time zone: "Thu, 03 Dec 2026 14:05:00 +0100".
std::string format_rfc5322(std::int64_t t);

}  // namespace guichet::mail
