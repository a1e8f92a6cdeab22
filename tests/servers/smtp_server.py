#!/usr/bin/python3
"""A real SMTP server for guichet's tests (aiosmtpd, Debian's python3-aiosmtpd), on loopback.

    /usr/bin/python3 smtp_server.py PORT DIR

Each accepted mail is written to DIR/NNNN.eml exactly as received, with its envelope in
DIR/NNNN.json. The reply to RCPT TO is read from DIR/mode at each transaction, so that a test can
make the server misbehave the way real ones do:
    ok (or no file)  250
    451              451 4.3.0 every time
    451-once         451 4.3.0 once, then ok
    550              550 5.1.1 user unknown
Prints "ready" on stdout once listening.
"""
import json
import os
import sys
import time

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0

    def _mode(self):
        try:
            with open(os.path.join(self.folder, "mode")) as f:
                return f.read().strip()
        except FileNotFoundError:
            return "ok"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        mode = self._mode()
        if mode == "451-once":
            with open(os.path.join(self.folder, "mode"), "w") as f:
                f.write("ok")
            return "451 4.3.0 Temporary failure, try again later"
        if mode == "451":
            return "451 4.3.0 Temporary failure, try again later"
        if mode == "550":
            return "550 5.1.1 <%s>: user unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.folder, "%04d" % self.count)
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        with open(base + ".json", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}, f)
        os.rename(base + ".tmp", base + ".eml")
        return "250 2.0.0 Message accepted"


def main():
    port, folder = int(sys.argv[1]), sys.argv[2]
    os.makedirs(folder, exist_ok=True)
    controller = Controller(Handler(folder), hostname="127.0.0.1", port=port, decode_data=False)
    controller.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
