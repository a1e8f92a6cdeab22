#include "web/links.h"

#include "util/sha256.h"
#include "util/strings.h"
#include "web/context.h"

namespace guichet::web {

std::string link_base(const config::Web& web) {
  if (!web.base_url.empty()) return web.base_url;
  if (istarts_with(web.listen, "unix:")) return "";
  return "http://" + web.listen;
}

Result<std::string> new_login_link(store::Store& store, const config::Web& web, const std::string& address,
                                   std::int64_t now) {
  const std::string base = link_base(web);
  if (base.empty()) return make_error(Errc::config, "web.base_url is not set: a login link needs the address people open");
  const std::string token = random_token();
  if (auto r = store.web().put_link(sha256_hex(token), address, now); !r) return r.error();
  return base + "/connexion/lien?t=" + token;
}

}  // namespace guichet::web
