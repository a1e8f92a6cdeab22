#!/usr/bin/python3
"""A real SMTP server for guichet's tests (aiosmtpd, Debian's python3-aiosmtpd), on loopback.

    /usr/bin/python3 smtp_server.py PORT DIR [--tls starttls|smtps --cert PEM --key PEM]
                                             [--auth USER:PASSWORD] [--bearers FILE] [--only MECH]

With --tls starttls the server offers STARTTLS (and AUTH only once it is on, as real submission
servers do); with --tls smtps it speaks TLS from the first byte (port 465 style). With --auth
(and/or --bearers) it offers AUTH PLAIN and LOGIN (and XOAUTH2) and refuses MAIL FROM before a
successful login, "530 5.7.0 Authentication required". --bearers names the file of OAuth2 access
tokens the test identity provider issued (token_server.py: "<token> <username> <expires at>" per
line), read at each AUTH XOAUTH2: a token there, not expired, for the user logging in, is accepted.

Each accepted mail is written to DIR/NNNN.eml exactly as received, with its envelope in
DIR/NNNN.json. The reply to RCPT TO is read from DIR/mode at each transaction, so that a test can
make the server misbehave the way real ones do:
    ok (or no file)  250
    451              451 4.3.0 every time
    451-once         451 4.3.0 once, then ok
    550              550 5.1.1 user unknown
Prints "ready" on stdout once listening.
"""
import argparse
import base64
import json
import os
import ssl
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    def __init__(self, folder, bearers=None, offer_auth=False):
        self.folder = folder
        self.bearers = bearers
        self.offer_auth = offer_auth
        self.count = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        # aiosmtpd always lists its built-in mechanisms; a server that takes no login must not.
        session.host_name = hostname
        return [r for r in responses if self.offer_auth or not r[4:].startswith("AUTH")]

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

    async def auth_XOAUTH2(self, server, args):
        """RFC-less but documented by Google and Microsoft: base64 of
        "user=U^Aauth=Bearer T^A^A". A refusal sends a JSON challenge, then 535, as Gmail does."""
        if not self.bearers:
            return AuthResult(success=False, handled=False)
        if len(args) < 2:
            blob = await server.challenge_auth("", encode_to_b64=False)
            if not isinstance(blob, bytes):
                return AuthResult(success=False)
        else:
            try:
                blob = base64.b64decode(args[1].encode(), validate=True)
            except Exception:
                await server.push("501 5.5.2 Can't decode base64")
                return AuthResult(success=False, handled=True)
        fields = dict(f.split("=", 1) for f in blob.decode("utf-8", "replace").split("\x01") if "=" in f)
        token = fields.get("auth", "").removeprefix("Bearer ").strip()
        valid = set()
        try:
            with open(self.bearers) as f:
                for line in f:
                    words = line.split()
                    if words and (len(words) < 3 or float(words[2]) > time.time()):
                        valid.add(words[0])
        except FileNotFoundError:
            pass
        if token and token in valid:
            return AuthResult(success=True, auth_data=LoginPassword(fields.get("user", "").encode(), b""))
        await server.challenge_auth(base64.b64encode(b'{"status":"401","schemes":"bearer","scope":"mail"}'),
                                    encode_to_b64=False)
        return AuthResult(success=False, handled=False,
                          message="535 5.7.8 Username and Password not accepted (XOAUTH2)")

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
    cli = argparse.ArgumentParser()
    cli.add_argument("port", type=int)
    cli.add_argument("folder")
    cli.add_argument("--tls", choices=["none", "starttls", "smtps"], default="none")
    cli.add_argument("--cert")
    cli.add_argument("--key")
    cli.add_argument("--auth", help="USER:PASSWORD")
    cli.add_argument("--bearers", help="a file of valid XOAUTH2 tokens")
    cli.add_argument("--only", help="offer this one AUTH mechanism (LOGIN, say)")
    args = cli.parse_args()
    os.makedirs(args.folder, exist_ok=True)
    options = {}
    context = None
    if args.tls != "none":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
    if args.tls == "starttls":
        options.update(tls_context=context, require_starttls=True)
    if args.auth or args.bearers:
        user, _, password = (args.auth or ":").partition(":")

        def authenticator(server, session, envelope, mechanism, data):
            ok = isinstance(data, LoginPassword) and user and data.login.decode() == user and \
                data.password.decode() == password
            return AuthResult(success=bool(ok), handled=False)

        # With STARTTLS, AUTH is offered only once the session is encrypted, as real servers do
        # (aiosmtpd cannot tell an implicit-TLS session from plain text: smtps offers it at once).
        options.update(authenticator=authenticator, auth_required=True, auth_require_tls=args.tls == "starttls")
        offered = ({"PLAIN", "LOGIN"} if args.auth else set()) | ({"XOAUTH2"} if args.bearers else set())
        if args.only:
            offered &= {args.only}
        options.update(auth_exclude_mechanism=sorted({"PLAIN", "LOGIN", "XOAUTH2"} - offered))
    controller = Controller(Handler(args.folder, args.bearers, bool(args.auth or args.bearers)), hostname="127.0.0.1", port=args.port,
                            decode_data=False, ssl_context=context if args.tls == "smtps" else None,
                            **options)
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
