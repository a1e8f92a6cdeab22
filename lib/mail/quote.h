// What the author of a reply wrote, without what they quoted.
//
// Agents answer from Outlook, Thunderbird, Gmail, Apple Mail and the French webmails; each quotes
// the mail it answers in its own way. Removed, in this order:
//   1. quoted lines ("> …") wherever they are, with the attribution line just above them
//      ("Le 3 déc. 2026 à 14:05, X a écrit :", "On … wrote:"), so a bottom-posted answer survives;
//   2. from the first line where a quoted mail begins without "> " (HTML clients, Outlook) to the
//      end: guichet's own marker line ("[guichet …]"), an attribution line, Outlook's header block
//      ("De : … / Envoyé : …", "From: … / Sent: …"), "-----Original Message-----", "-----Message
//      d'origine-----", a line of underscores;
//   3. the client's signature (from a line "-- " to the end).
// What remains is trimmed; empty means the reply said nothing of its own.
#pragma once

#include <string>
#include <string_view>

namespace guichet::mail {

struct Unquoted {
  std::string text;    // what the author wrote
  std::string cut_at;  // what ended it, for the history: "guichet marker", "attribution", "outlook header"…
  bool quoted = false; // something was removed
};

Unquoted strip_quotes(std::string_view text);

}  // namespace guichet::mail
