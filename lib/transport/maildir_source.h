// A Maildir as a mail source: the messages of new/, in file-name order (delivery time first), each
// moved once committed to cur/ (flag, seen, leave) or to the Maildir++ folder .Folder/cur/ (move).
// Dot files are not mail; tmp/ is never read. A message still in new/ after a crash is read again
// and recognised as a duplicate.
#pragma once

#include <memory>
#include <string>

#include "transport/source.h"

namespace guichet::transport {

std::unique_ptr<Source> make_maildir_source(std::string dir);

}  // namespace guichet::transport
