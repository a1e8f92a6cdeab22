// Reply tokens: what makes an agent's answer by mail safe to act on.
//
// guichet writes a token into every mail an agent may answer (the notice of a new request, a
// receipt, a held answer): in the Reply-To address (sub-addressing,
// `urbanisme+r.2026-000042.mdupont.3.k7w2qfx9ma@champignac.example`), in the Message-ID (an
// answer names it in In-Reply-To even when a server rewrote the addresses), and in a marker line
// of the body (`[guichet r.2026-000042.mdupont.3.k7w2qfx9ma]`, kept in the quoted notice).
//
// A token says what the answer is for and who may send it: its kind, the request (or the mailbox,
// for intake), the agent, a number (the request's answer version when the notice was written, or a
// held answer's outbox id), and a MAC: the first 50 bits of HMAC-SHA256 over the rest, with a key
// only the town has (engine/tokens.h). Lower-case base32, so a server that lower-cases addresses
// changes nothing. A token proves where an answer goes, never who wrote it: the From must also be
// the agent it names (engine/agent_mail.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/message.h"

namespace guichet::tokens {

enum class Kind : char {
  answer = 'r',  // an answer to the resident, and commands
  note = 'n',    // an internal note: never sent to the resident
  send = 's',    // "ENVOYER": send a held answer anyway (number: its outbox id)
  intake = 'i',  // a request received by phone, at the counter or by letter (subject: the mailbox)
};

struct Token {
  Kind kind = Kind::answer;
  std::string subject;  // the request's reference, or the mailbox's name for intake
  std::string agent;    // directory id; "-" for none
  std::int64_t number = 0;

  bool operator==(const Token&) const = default;
};

// "r.2026-000042.mdupont.3.k7w2qfx9ma". `key` must not be empty.
std::string encode(const Token& t, std::string_view key);

// What a piece of text held that looked like a token.
struct Found {
  Token token;
  bool authentic = false;  // the MAC matches
  std::string where;       // "to", "cc", "delivered-to", "in-reply-to", "references", "body"
};

// Every token in `text` (an address, a Message-ID, a body), valid or not, in order.
std::vector<Found> scan(std::string_view text, std::string_view key, const std::string& where);

// Every token a mail carries: its recipients (To, Cc, Delivered-To), In-Reply-To, References, and
// the marker line of its text. Duplicates (the same token in several places) are listed once,
// at the first place.
std::vector<Found> find(const mail::Message& m, std::string_view key, char separator = '+');

// `local+token@domain` from `local@domain`, with `separator` between them ('+' by default).
std::string reply_address(std::string_view address, char separator, const Token& t, std::string_view key);
// `token.<random>@domain`: a Message-ID that carries the token.
std::string message_id(std::string_view domain, const Token& t, std::string_view key);
// "[guichet r.2026-000042.mdupont.3.k7w2qfx9ma]"
std::string marker(const Token& t, std::string_view key);

}  // namespace guichet::tokens
