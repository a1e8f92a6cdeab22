// The keys threading matches on, computed once per message and stored with it.
//
// - normalised subject: reply/forward prefixes of every language French residents' clients write
//   (Re, RE :, Fwd, Fw, TR, AW, WG, VS, SV, Réf, Rép), [tags], case, accents and spacing removed,
//   so "RE : TR : [Réf. 2026-000042] Trottoir abîmé" and "trottoir abime" are the same subject;
// - the request reference written in a subject, mangled or not ("[Réf. 2026-000042]",
//   "REF 2026-000042", "[ref.2026-42]");
// - Outlook's conversation: the first 22 bytes of Thread-Index, which Outlook and Exchange keep
//   when they drop References;
// - the body key: the text folded, for resent copies that carry a new Message-ID.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace guichet::threading {

std::string normalise_subject(std::string_view subject);

// Whether the subject starts with a reply or forward prefix ("RE :", "TR:", "Réf. :"…).
bool has_reply_prefix(std::string_view subject);

// Whether a normalised subject is a chaser of an earlier one: it ends with it after a chasing
// phrase ("relance : lampadaire eteint", "2e relance - …", "toujours sans reponse : …"), or holds
// it whole when the earlier subject is long enough not to be a common word.
bool chases(std::string_view subject_key, std::string_view earlier_key);

// "2026-000042" when the subject names a request; `prefix` is the configured tag ("Réf.").
std::optional<std::string> subject_reference(std::string_view subject, std::string_view prefix = "R\xC3\xA9" "f.");

// What the first lines a resident writes (their own text, before any quoted mail) say about an
// earlier request: a reference ("ma demande n° 2026-42", "dossier 2026-000042", "Réf. 2026-42"),
// and the date of an earlier mail ("mon courriel du 3 novembre", "mon mail du 03/11",
// "ma demande du 3 novembre 2026"). `year` fills a date written without one (the year of the mail,
// or the one before for a month after the mail's).
struct TextCitation {
  std::optional<std::string> reference;  // "2026-000042"
  std::optional<std::string> date;       // "2026-11-03"
};
TextCitation text_citation(std::string_view text, int year, int month);

// Hex of the first 22 bytes of a Thread-Index, or "" when it is absent or too short.
std::string thread_index_key(std::string_view thread_index);

std::string body_key(std::string_view text);

}  // namespace guichet::threading
