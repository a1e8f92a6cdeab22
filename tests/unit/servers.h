// Real servers for the integration tests, started on loopback in a temporary directory and
// killed by PID when the object goes: aiosmtpd (tests/servers/smtp_server.py) and Dovecot.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "helpers.h"

namespace guichet::test {

// A TCP port on 127.0.0.1 that nothing listens on right now.
int free_port();
// True once something accepts connections on 127.0.0.1:port (waits up to `seconds`).
bool wait_for_port(int port, double seconds = 10);

class Process {
 public:
  Process() = default;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process() { stop(); }
  void start(const std::vector<std::string>& argv, const std::string& log_path);
  void stop();  // SIGTERM, then SIGKILL after 5 s
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// A test certificate authority and a certificate it signed for 127.0.0.1 (and localhost), made
// with openssl in `dir`: ca.pem, server.pem, server.key. A client trusts the server only when told
// to trust ca.pem, as with a town's own CA.
void make_test_pki(const std::string& dir);

// How the SMTP test server takes connections (smtp_server.py's options).
struct SmtpOptions {
  std::string tls = "none";  // none | starttls (AUTH only once it is on) | smtps (implicit TLS)
  std::string auth;          // "user:password": AUTH PLAIN and LOGIN, required before MAIL FROM
  std::string bearers;       // AUTH XOAUTH2 with the tokens a TokenServer issued (its bearers_file())
  std::string only;          // offer this one mechanism ("LOGIN")
};

// aiosmtpd on loopback: delivered mail lands in dir()/NNNN.eml (envelope in NNNN.json).
class SmtpServer {
 public:
  explicit SmtpServer(int port = 0);
  explicit SmtpServer(SmtpOptions options);
  void start();
  void stop() { process_.stop(); }
  int port() const { return port_; }
  std::string url() const {
    return (options_.tls == "smtps" ? "smtps://127.0.0.1:" : "smtp://127.0.0.1:") + std::to_string(port_);
  }
  std::string ca_file() const { return dir_.str("ca.pem"); }            // with tls
  std::string log() const { return read_file(dir_.str("server.log")); }
  std::string dir() const { return dir_.str("mail"); }
  // ok | 451 | 451-once | 550 (see smtp_server.py)
  void set_mode(const std::string& mode) { write_file(dir_.path() / "mail" / "mode", mode); }
  // The mails received so far, in order.
  std::vector<std::string> received() const;
  std::vector<std::string> envelopes() const;  // the JSON of each

 private:
  TempDir dir_;
  int port_;
  SmtpOptions options_;
  Process process_;
};

// An OAuth2 identity provider on loopback over HTTPS (tests/servers/token_server.py), its
// certificate signed by a test CA (ca_file()): a token endpoint and Dovecot's introspection.
class TokenServer {
 public:
  TokenServer();
  void start();
  void stop() { process_.stop(); }
  std::string token_url() const { return "https://127.0.0.1:" + std::to_string(port_) + "/token"; }
  std::string introspection_url() const { return "https://127.0.0.1:" + std::to_string(port_) + "/introspect"; }
  std::string ca_file() const { return dir_.str("ca.pem"); }
  std::string bearers_file() const { return dir_.str("idp/bearers"); }
  // {"client-id": {"secret": …, "refresh_tokens": […], "username": …, "secret_expired": …}}
  void set_clients(const std::string& json) { write_file(dir_.path() / "idp" / "clients.json", json); }
  void set_mode(const std::string& mode) { write_file(dir_.path() / "idp" / "mode", mode); }  // ok | html | 503
  void set_expires_in(int seconds) { write_file(dir_.path() / "idp" / "expires_in", std::to_string(seconds)); }
  int requests() const;  // token requests answered so far
  std::string clients() const { return read_file(dir_.str("idp/clients.json")); }
  std::string log() const { return read_file(dir_.str("server.log")); }

 private:
  TempDir dir_;
  int port_;
  Process process_;
};

}  // namespace guichet::test

namespace guichet::test {

// Dovecot on loopback with one user ("guichet", password "secret") in a temporary directory:
// IMAP on imap_port(), plain text (ssl = no: loopback only). Mail is seeded as unseen with
// `doveadm save`. `move_capability`: false announces a capability list without MOVE.
class Dovecot {
 public:
  // `tls`: a certificate for 127.0.0.1 signed by a test CA (ca_file()), STARTTLS on imap_port() and
  // implicit TLS on imaps_port().
  explicit Dovecot(bool move_capability = true, bool tls = false);
  ~Dovecot() { stop(); }
  void start();
  void stop();
  int imap_port() const { return imap_port_; }
  int imaps_port() const { return imaps_port_; }
  std::string ca_file() const { return dir_.str("ca.pem"); }
  std::string url(const std::string& folder = "INBOX") const {
    return "imap://127.0.0.1:" + std::to_string(imap_port_) + "/" + folder;
  }
  // Before start(): XOAUTH2 and OAUTHBEARER logins checked by Dovecot's oauth2 passdb against the
  // identity provider's introspection endpoint (the user must be the token's username).
  void use_oauth2(const TokenServer& idp);
  // Runs doveadm with `args` for the user; returns its exit status.
  int doveadm(const std::string& args, const std::string& input = "") const;
  void deliver(const std::string& raw, const std::string& folder = "INBOX") const;
  std::string log() const { return read_file(dir_.str("dovecot.log")); }
  std::string config() const { return dir_.str("dovecot.conf"); }

 private:
  TempDir dir_;
  int imap_port_;
  int imaps_port_ = 0;
  Process process_;
};

}  // namespace guichet::test
