// RFC 5322 address lists, parsed tolerantly from the raw header text.
//
// mimetic's to()/cc()/replyto() crash on "To: undisclosed-recipients:" without the final ";"
// (the entity's destructor then segfaults), so guichet never calls them on untrusted mail: it
// parses the field text here. Groups, quoted and encoded display names, comments
// ("jean@x.fr (Jean Dupont)"), routes and garbage are accepted; what cannot be an address is skipped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mail/message.h"

namespace guichet::mail {

std::vector<Address> parse_address_list(std::string_view raw, std::vector<std::string>* problems = nullptr);

// True when `address` is a plain local@domain that is safe to hand to an SMTP envelope later:
// printable ASCII or UTF-8, no white space, no CR/LF, no angle brackets.
bool is_plausible_address(std::string_view address);

// local@domain, printable ASCII without space, quotes, brackets or control characters, one "@",
// non-empty parts: what can safely go into a header and an SMTP command.
bool valid_address(std::string_view address);

// The one list of machine addresses, read on the local part with accents, case, '-', '_' and '.'
// ignored: `bounce_sender` (mailer-daemon, postmaster: what a From of a delivery report looks
// like) and `no_reply` (no-reply, ne-pas-répondre, donotreply, bounce…, listserv, majordomo).
// Neither ever gets an automatic answer (RFC 3834).
enum class MachineAddress { none, bounce_sender, no_reply };
MachineAddress machine_address(std::string_view address);

}  // namespace guichet::mail
