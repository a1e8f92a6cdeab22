#include "servers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace guichet::test {

namespace fs = std::filesystem;

// A port no other process of the suite can be handed while this one lives. A probe that binds
// port 0 and closes at once leaves the port free for anyone: two tests running side by side were
// given the same one, and cpp-httplib's SO_REUSEPORT let both servers listen there, sharing the
// connections (a test then read another test's pages, and failed when that server stopped). The
// probe stays bound, not listening, with SO_REUSEADDR and SO_REUSEPORT set after the bind: our own
// server binds over it (Dovecot and aiosmtpd set the first, cpp-httplib the second), while the
// kernel hands the port to no other bind(0) nor outgoing connection until this process exits.
int free_port() {
  const int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) throw std::runtime_error("socket failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("bind failed");
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  const int yes = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &yes, sizeof yes);
  return ntohs(a.sin_port);  // the descriptor is kept open on purpose, until the process exits
}

bool wait_for_port(int port, double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    const bool ok = connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(s);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

void Process::start(const std::vector<std::string>& argv, const std::string& log_path) {
  stop();
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    setpgid(0, 0);
    execv(args[0], args.data());
    _exit(127);
  }
}

void Process::stop() {
  if (pid_ <= 0) return;
  kill(-pid_, SIGTERM);  // the whole group: Dovecot's imap processes too
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(-pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void make_test_pki(const std::string& dir) {
  const std::string cmd =
      "cd " + dir + " && /usr/bin/openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=guichet test CA' "
      "-keyout ca.key -out ca.pem && /usr/bin/openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 "
      "-keyout server.key -out server.csr && printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > ext.cnf && "
      "/usr/bin/openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
      "-extfile ext.cnf -out server.pem";
  if (std::system(("(" + cmd + ") >" + dir + "/openssl.log 2>&1").c_str()) != 0)
    throw std::runtime_error("openssl failed: " + read_file(dir + "/openssl.log"));
}

SmtpServer::SmtpServer(int port) : port_(port ? port : free_port()) { fs::create_directories(dir_.path() / "mail"); }

SmtpServer::SmtpServer(SmtpOptions options) : port_(free_port()), options_(std::move(options)) {
  fs::create_directories(dir_.path() / "mail");
  if (options_.tls != "none") make_test_pki(dir_.str());
}

void SmtpServer::start() {
  std::vector<std::string> argv{"/usr/bin/python3", std::string(GUICHET_SOURCE_DIR) + "/tests/servers/smtp_server.py",
                                std::to_string(port_), dir(), "--tls", options_.tls};
  if (options_.tls != "none")
    argv.insert(argv.end(), {"--cert", dir_.str("server.pem"), "--key", dir_.str("server.key")});
  if (!options_.auth.empty()) argv.insert(argv.end(), {"--auth", options_.auth});
  if (!options_.bearers.empty()) argv.insert(argv.end(), {"--bearers", options_.bearers});
  if (!options_.only.empty()) argv.insert(argv.end(), {"--only", options_.only});
  process_.start(argv, dir_.str("server.log"));
  if (!wait_for_port(port_))
    throw std::runtime_error("the SMTP test server did not start: " + read_file(dir_.str("server.log")));
}

namespace {
std::vector<std::string> files_with(const std::string& dir, const std::string& ext) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ext) names.push_back(e.path().string());
  std::sort(names.begin(), names.end());
  std::vector<std::string> out;
  for (const auto& n : names) out.push_back(read_file(n));
  return out;
}
}  // namespace

TokenServer::TokenServer() : port_(free_port()) {
  fs::create_directories(dir_.path() / "idp");
  make_test_pki(dir_.str());
}

void TokenServer::start() {
  process_.start({"/usr/bin/python3", std::string(GUICHET_SOURCE_DIR) + "/tests/servers/token_server.py",
                  std::to_string(port_), dir_.str("idp"), dir_.str("server.pem"), dir_.str("server.key")},
                 dir_.str("server.log"));
  if (!wait_for_port(port_))
    throw std::runtime_error("the token server did not start: " + read_file(dir_.str("server.log")));
}

int TokenServer::requests() const {
  const std::string all = fs::exists(dir_.path() / "idp" / "requests") ? read_file(dir_.str("idp/requests")) : "";
  return static_cast<int>(std::count(all.begin(), all.end(), '\n'));
}

std::vector<std::string> SmtpServer::received() const { return files_with(dir(), ".eml"); }
std::vector<std::string> SmtpServer::envelopes() const { return files_with(dir(), ".json"); }

}  // namespace guichet::test

namespace guichet::test {

Dovecot::Dovecot(bool move_capability, bool tls) : imap_port_(free_port()) {
  const std::string d = dir_.str();
  if (tls) {
    imaps_port_ = free_port();
    make_test_pki(d);
  }
  fs::create_directories(dir_.path() / "home" / "guichet" / "Maildir");
  chown((d + "/home").c_str(), 1000, 1000);
  chown((d + "/home/guichet").c_str(), 1000, 1000);
  chown((d + "/home/guichet/Maildir").c_str(), 1000, 1000);
  write_file(dir_.path() / "passwd", "guichet:{PLAIN}secret:1000:1000::" + d + "/home/guichet::\n");
  std::string conf =
      "base_dir = " + d +
      "/run\n"
      "state_dir = " +
      d +
      "/state\n"
      "log_path = " +
      d +
      "/dovecot.log\n"
      "info_log_path = " +
      d + "/dovecot.log\n" +
      (tls ? "ssl = yes\nssl_cert = <" + d + "/server.pem\nssl_key = <" + d + "/server.key\n" : std::string("ssl = no\n")) +
      "disable_plaintext_auth = no\n"
      "auth_mechanisms = plain login\n"
      "mail_location = maildir:~/Maildir\n"
      "first_valid_uid = 500\n"
      "auth_username_format = %n\n"
      "protocols = imap\n"
      "listen = 127.0.0.1\n"
      "passdb {\n  driver = passwd-file\n  args = " +
      d +
      "/passwd\n}\n"
      "userdb {\n  driver = passwd-file\n  args = " +
      d +
      "/passwd\n}\n"
      "service imap-login {\n  inet_listener imap {\n    port = " +
      std::to_string(imap_port_) +
      "\n  }\n  inet_listener imaps {\n    port = " + std::to_string(imaps_port_) + "\n  }\n}\n"
      "service pop3-login {\n  inet_listener pop3 {\n    port = 0\n  }\n  inet_listener pop3s {\n    port = 0\n  }\n}\n"
      "namespace inbox {\n  inbox = yes\n  separator = /\n}\n";
  if (!move_capability)
    conf +=
        "protocol imap {\n  imap_capability = IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT "
        "THREAD=REFERENCES MULTIAPPEND UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 ESEARCH "
        "SEARCHRES SPECIAL-USE\n}\n";
  write_file(dir_.path() / "dovecot.conf", conf);
}

void Dovecot::start() {
  process_.start({"/usr/sbin/dovecot", "-F", "-c", config()}, dir_.str("dovecot.out"));
  if (!wait_for_port(imap_port_, 20))
    throw std::runtime_error("Dovecot did not start: " + read_file(dir_.str("dovecot.out")) + log());
}

void Dovecot::use_oauth2(const TokenServer& idp) {
  write_file(dir_.path() / "oauth2.conf.ext",
             "introspection_mode = post\nintrospection_url = " + idp.introspection_url() +
                 "\nusername_attribute = username\nactive_attribute = active\nactive_value = true\n"
                 "tls_ca_cert_file = " + idp.ca_file() + "\ntimeout_msecs = 5000\n");
  std::string conf = read_file(config());
  auto replace = [&conf](const std::string& from, const std::string& to) {
    const size_t at = conf.find(from);
    if (at == std::string::npos) throw std::runtime_error("dovecot.conf has no " + from);
    conf.replace(at, from.size(), to);
  };
  replace("auth_mechanisms = plain login\n", "auth_mechanisms = plain login xoauth2 oauthbearer\n");
  // Each login goes to the passdb of its mechanism: a token is never tried as a password.
  replace("passdb {\n  driver = passwd-file\n", "passdb {\n  driver = passwd-file\n  mechanisms = plain login\n");
  conf += "passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = " + dir_.str("oauth2.conf.ext") +
          "\n}\n";
  write_file(config(), conf);
}

void Dovecot::stop() { process_.stop(); }

int Dovecot::doveadm(const std::string& args, const std::string& input) const {
  write_file(dir_.path() / "doveadm.in", input);
  const std::string cmd = "/usr/bin/doveadm -c " + config() + " " + args + " <" + dir_.str("doveadm.in") + " >>" +
                          dir_.str("doveadm.log") + " 2>&1";
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

void Dovecot::deliver(const std::string& raw, const std::string& folder) const {
  if (doveadm("save -u guichet -m '" + folder + "'", raw) != 0)
    throw std::runtime_error("doveadm save failed: " + read_file(dir_.str("doveadm.log")));
}

}  // namespace guichet::test
