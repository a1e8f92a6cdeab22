#!/usr/bin/python3
"""An OAuth2 identity provider for guichet's tests, on loopback over HTTPS (Python's own http.server
and ssl): the token endpoint of RFC 6749 and a token introspection endpoint (RFC 7662) for
Dovecot's oauth2 passdb.

    /usr/bin/python3 token_server.py PORT DIR CERT KEY

DIR/clients.json, read at each request: {"<client_id>": {"secret": "...", "refresh_tokens": [...],
"username": "the account its tokens are for", "secret_expired": false, "rotate": false}}.
DIR/mode, read at each request: ok (or no file) | html (a proxy's login page, HTTP 200) | 503.
DIR/expires_in: the lifetime of new tokens in seconds (default 3600).

POST /token: client_credentials (client_id and client_secret) or refresh_token (and client_id).
Refusals are Microsoft's own: invalid_client AADSTS7000215 (wrong secret), AADSTS7000222 (an
expired secret), invalid_grant AADSTS70008 (an unknown refresh token). Each token issued is
appended to DIR/bearers ("<token> <username>"), each request to DIR/requests ("<grant_type>
<client_id>"). POST /introspect (token=...): {"active": true, "username": ...} for a token issued
and not expired, {"active": false} otherwise. No secret or token is printed.
"""
import json
import os
import secrets
import ssl
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FOLDER = ""


def read(name, default=""):
    try:
        with open(os.path.join(FOLDER, name)) as f:
            return f.read().strip()
    except FileNotFoundError:
        return default


def issued():
    tokens = {}
    for line in read("bearers").splitlines():
        token, username, expires = line.split(" ")
        tokens[token] = (username, float(expires))
    return tokens


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):  # the request line only: never a form with a secret
        sys.stderr.write("%s %s\n" % (self.command, self.path))

    def answer(self, status, body, content_type="application/json"):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in urllib.parse.parse_qs(self.rfile.read(length).decode()).items()}
        if self.path == "/introspect":
            token = issued().get(form.get("token", ""))
            if token and token[1] > time.time():
                return self.answer(200, {"active": True, "username": token[0]})
            return self.answer(200, {"active": False})
        if self.path != "/token":
            return self.answer(404, {"error": "not_found"})
        mode = read("mode", "ok")
        grant, client_id = form.get("grant_type", ""), form.get("client_id", "")
        with open(os.path.join(FOLDER, "requests"), "a") as f:
            f.write("%s %s\n" % (grant, client_id))
        if mode == "html":
            return self.answer(200, "<!DOCTYPE html><html><head><title>Portail captif - Mairie de Champignac"
                                    "</title></head><body>Identifiez-vous</body></html>", "text/html; charset=utf-8")
        if mode == "503":
            return self.answer(503, "<html><head><title>503 Service Unavailable</title></head></html>", "text/html")
        clients = json.loads(read("clients.json", "{}"))
        client = clients.get(client_id)
        if client is None:
            return self.answer(400, {"error": "unauthorized_client", "error_description":
                                     "AADSTS700016: Application with identifier '%s' was not found." % client_id})
        if grant == "client_credentials":
            if form.get("client_secret") != client.get("secret"):
                return self.answer(401, {"error": "invalid_client", "error_description":
                                         "AADSTS7000215: Invalid client secret provided."})
            if client.get("secret_expired"):
                return self.answer(401, {"error": "invalid_client", "error_description":
                                         "AADSTS7000222: The provided client secret keys for app '%s' are "
                                         "expired." % client_id})
        elif grant == "refresh_token":
            if form.get("refresh_token") not in client.get("refresh_tokens", []):
                return self.answer(400, {"error": "invalid_grant", "error_description":
                                         "AADSTS70008: The provided authorization code or refresh token has "
                                         "expired due to inactivity."})
        else:
            return self.answer(400, {"error": "unsupported_grant_type"})
        lifetime = int(read("expires_in", "3600"))
        token = "tok-" + secrets.token_hex(16)
        with open(os.path.join(FOLDER, "bearers"), "a") as f:
            f.write("%s %s %f\n" % (token, client.get("username", ""), time.time() + lifetime))
        answer = {"token_type": "Bearer", "expires_in": lifetime, "access_token": token}
        if grant == "refresh_token" and client.get("rotate"):
            fresh = "refresh-" + secrets.token_hex(8)
            client["refresh_tokens"].append(fresh)
            with open(os.path.join(FOLDER, "clients.json"), "w") as f:
                json.dump(clients, f)
            answer["refresh_token"] = fresh
        return self.answer(200, answer)


def main():
    global FOLDER
    port, FOLDER, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    os.makedirs(FOLDER, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
