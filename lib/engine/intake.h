// A request that did not come by mail: a phone call, a visit to the counter, a letter. An agent
// records it, by mail to their intake address (a reply token of kind `i`, README "Recording a
// call, a visit or a letter"), from the web view's "Nouvelle demande" page, or with `guichet new`.
// All three compose the same intake mail (compose_intake_mail) and ingest it: the agent's mail is
// the record kept, byte for byte, with the scan of a letter as its attachment.
//
// The request's requester is the resident, not the agent; it is routed by the same rules (they
// see the resident's name, the subject and the text), its date of receipt is the day of the call,
// visit or letter (`Reçu le :`, today by default), and it is acknowledged to the resident's
// address when one is given. Without one, the agent gets the acknowledgement to print, post or
// read out (template `accuse-a-remettre`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "directory/directory.h"
#include "engine/commands.h"
#include "engine/incoming.h"
#include "engine/ingest.h"
#include "mail/compose.h"
#include "store/store.h"
#include "util/clock.h"

namespace guichet::engine {

// What an agent gives, as written (the values of the command block, or the command line's).
struct IntakeFields {
  std::string channel, requester, email, phone, postal, subject, received_on, text;
};

// Checked: what the request is made of.
struct Intake {
  store::Channel channel = store::Channel::telephone;
  mail::Address requester;  // address empty when the resident gave none
  std::string phone, postal, subject, text;
  std::int64_t received_at = 0;
};

// The fields of an intake mail's command block; keys other than the intake's are an error (the
// returned string names them) rather than silently text.
IntakeFields intake_fields(const CommandBlock& block, std::vector<std::string>& unknown);

// Checks `f`, in French for the agent's receipt or the command line: a channel among téléphone,
// guichet, courrier; a requester's name; a valid address if one is given; a date of receipt that
// parses and is not in the future (the day given, at the hour of `now` when it is today, else at
// noon). Errc::data with every problem found, one per line.
Result<Intake> check_intake(const IntakeFields& f, std::int64_t now);

// The mail that records an intake on behalf of `agent`: From the agent, To their intake address
// on `mailbox_address`, the command block then the text; `attachments` (a scan) joined.
std::string compose_intake_mail(const IntakeFields& f, const directory::Agent& agent, const std::string& intake_address,
                                const std::vector<mail::OutgoingAttachment>& attachments, std::int64_t now);

// The intake address of `agent` on a mailbox: `mairie+i.mairie.mdupont.0.<mac>@champignac.example`.
std::string intake_address(const std::string& mailbox_address, const std::string& mailbox, const std::string& agent,
                           const IngestOptions& options);

// Called by the agents' path once the mail is authenticated as `agent`'s (engine/agent_mail.cc):
// records the request, or, when the fields do not check, keeps the mail apart as machine mail
// (nothing is lost) and tells the agent why. Runs in the caller's transaction.
Result<Outcome> ingest_intake(store::Store& store, const Incoming& in, const directory::Agent& agent,
                              const IngestOptions& options, Outcome out);

}  // namespace guichet::engine

namespace guichet::engine {

// `guichet new` and the web view's "Nouvelle demande": checks `f` (Errc::data with the reasons,
// nothing stored: the person is there to correct it), then composes the intake mail for `agent`
// and ingests it as arrived in `options.mailbox` (`options` from prepare_ingest for that mailbox),
// seen at `where` ("new", "web"). In the caller's transaction.
Result<Outcome> record_request(store::Store& store, IngestOptions options, const IntakeFields& f,
                               const directory::Agent& agent, const std::vector<mail::OutgoingAttachment>& attachments,
                               const std::string& where, const Clock& clock);

}  // namespace guichet::engine
