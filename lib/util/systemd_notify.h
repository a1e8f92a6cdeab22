// Telling systemd how the daemon is (sd_notify(3)): "READY=1", "STATUS=…", "WATCHDOG=1",
// "STOPPING=1".
//
// libsystemd is opened only when systemd listens (NOTIFY_SOCKET is set), the first time: a daemon
// started by hand or by the tests, and every other command, never load it (util/shared_library.h).
#pragma once

#include <string>

#include "util/result.h"

namespace guichet {

// Sends `state` (lines "KEY=value") when systemd listens; nothing to do is success. The error says
// libsystemd could not be loaded or systemd refused the message.
Result<void> notify_systemd(const std::string& state);

}  // namespace guichet
