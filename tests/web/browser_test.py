#!/usr/bin/python3
"""The web view in a real browser: headless Chromium (Debian's chromium and chromium-driver,
driven by python3-selenium) against the real `guichet web`, on loopback, in a temporary folder.

The commune is the demo's (etc/demo/inbox, ingested by `guichet serve --once`). The test logs in
through the link read from the outbox, finds a resident by a partial unaccented name, opens the
request, checks that an agent of another service gets 404, that every page fits a 390-pixel
screen without horizontal scrolling and that the browser reports no refused content (CSP), and
saves screenshots at phone and desktop width into --artefacts.

Usage: browser_test.py --guichet build/guichet --source . --artefacts build/artefacts/web
"""
import argparse
import email
import email.policy
import http.client
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

PHONE = (390, 844)
DESKTOP = (1280, 900)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Commune:
    """The demo commune in a temporary folder, its mail ingested, `guichet web` serving it."""

    def __init__(self, guichet, source):
        self.guichet = guichet
        self.dir = tempfile.mkdtemp(prefix="guichet-browser-")
        self.port = free_port()
        shutil.copytree(os.path.join(source, "etc/demo/inbox"), os.path.join(self.dir, "inbox"))
        self.config = os.path.join(self.dir, "guichet.yaml")
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(
                f"""commune: Champignac-en-Cambrousse
database: guichet.db
timezone: Europe/Paris
directory: {source}/etc/directory.yaml
rules: {source}/rules
mailboxes:
  - {{name: mairie, url: 'maildir://inbox', address: mairie@champignac.example, department: accueil, after: flag}}
smtp:
  url: maildir://outbox
web:
  listen: 127.0.0.1:{self.port}
  base_url: http://127.0.0.1:{self.port}
"""
            )
        self.run("serve", "--once")
        self.log = open(os.path.join(self.dir, "web.log"), "wb")
        self.web = subprocess.Popen([guichet, "--config", self.config, "web"], stdout=self.log, stderr=self.log)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise SystemExit("guichet web did not start:\n" + open(self.log.name).read())
        self.base = f"http://127.0.0.1:{self.port}"

    def run(self, *args):
        out = subprocess.run([self.guichet, "--config", self.config, *args], capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"guichet {' '.join(args)}: {out.returncode}\n{out.stdout}{out.stderr}")
        return out.stdout

    def reference(self, department):
        db = sqlite3.connect(os.path.join(self.dir, "guichet.db"))
        row = db.execute("SELECT reference FROM requests WHERE department = ? ORDER BY id LIMIT 1", (department,)).fetchone()
        db.close()
        return row[0]

    def db(self):
        """The commune's database, read-only (the web process writes it meanwhile)."""
        return sqlite3.connect(f"file:{os.path.join(self.dir, 'guichet.db')}?mode=ro", uri=True)

    def login_link(self, address):
        """The link of the newest login mail to `address`, read from the outbox."""
        db = sqlite3.connect(os.path.join(self.dir, "guichet.db"))
        row = db.execute(
            "SELECT message FROM outbox WHERE kind = 'login' AND recipient = ? ORDER BY id DESC LIMIT 1", (address,)
        ).fetchone()
        db.close()
        if not row:
            raise AssertionError(f"no login mail to {address} in the outbox")
        body = email.message_from_bytes(row[0], policy=email.policy.default).get_body().get_content()
        return re.search(re.escape(self.base) + r"/connexion/lien\?t=[A-Za-z0-9_-]+", body).group(0)

    def close(self):
        self.web.terminate()
        self.web.wait(10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def browser():
    options = webdriver.ChromeOptions()
    for arg in (
        "--headless=new",
        "--no-sandbox",  # root in CI
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-extensions",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        "--no-pings",
        # Nothing leaves loopback: every other host name fails to resolve.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
        "--lang=fr-FR",
    ):
        options.add_argument(arg)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    return webdriver.Chrome(service=service, options=options)


class Check:
    def __init__(self):
        self.failures = []

    def __call__(self, ok, what):
        print(("ok   " if ok else "FAIL ") + what, flush=True)
        if not ok:
            self.failures.append(what)


def width(driver, size):
    """Emulates a screen `size` wide (a phone: touch, device pixels) and reloads."""
    phone = size == PHONE
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": size[0], "height": size[1], "deviceScaleFactor": 3 if phone else 1, "mobile": phone},
    )
    driver.refresh()


def fits(driver):
    return driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth, document.body.scrollWidth]"
    )


def shoot(driver, check, artefacts, name):
    """Screenshots at phone and desktop width; at the phone's, nothing scrolls sideways."""
    for size, label in ((PHONE, "phone"), (DESKTOP, "desktop")):
        width(driver, size)
        driver.save_screenshot(os.path.join(artefacts, f"{name}-{label}.png"))
        if size == PHONE:
            scroll, inner, body = fits(driver)
            check(scroll <= inner and body <= inner, f"{name}: fits a {PHONE[0]}-pixel screen (scrollWidth {scroll}, width {inner})")
    refused = [e["message"] for e in driver.get_log("browser") if "Refused" in e["message"] or e["level"] == "SEVERE"]
    check(not refused, f"{name}: the browser refused nothing ({refused[:2]})")


def click_and_wait(driver, element, until):
    """Clicks, then waits for the page the click leads to (a click returns before it loads)."""
    element.click()
    WebDriverWait(driver, 10).until(lambda d: until(d))


def on_page(path):
    return lambda d: d.current_url.split("?")[0].endswith(path) and d.execute_script("return document.readyState") == "complete"


def log_in(driver, commune, address):
    driver.delete_all_cookies()
    driver.get(commune.base + "/connexion")
    driver.find_element(By.ID, "adresse").send_keys(address)
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"),
                   lambda d: "Vérifiez votre messagerie" in d.page_source)
    driver.get(commune.login_link(address))
    click_and_wait(driver, driver.find_element(By.ID, "se-connecter"), lambda d: "/connexion" not in d.current_url)


def status_with_session(driver, commune, path):
    """The HTTP status of `path` with the browser's session (selenium does not show it)."""
    cookie = driver.get_cookie("guichet_session")
    connection = http.client.HTTPConnection("127.0.0.1", commune.port, timeout=10)
    connection.request("GET", path, headers={"Cookie": f"guichet_session={cookie['value']}"} if cookie else {})
    status = connection.getresponse().status
    connection.close()
    return status


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--guichet", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--artefacts", required=True)
    args = parser.parse_args()
    os.makedirs(args.artefacts, exist_ok=True)
    check = Check()
    commune = Commune(os.path.abspath(args.guichet), os.path.abspath(args.source))
    driver = browser()
    try:
        # The login page, before anyone is logged in.
        driver.get(commune.base + "/connexion")
        shoot(driver, check, args.artefacts, "connexion")

        # The mayor, an élu who sees the whole commune: the link from the outbox, then search.
        log_in(driver, commune, "maire@champignac.example")
        cookie = driver.get_cookie("guichet_session")
        check(cookie is not None and cookie["httpOnly"] and cookie["secure"] and cookie.get("sameSite") == "Strict",
              "the session cookie is HttpOnly, Secure, SameSite=Strict")
        check(driver.current_url.endswith("/recherche"), f"an élu lands on the search ({driver.current_url})")
        box = driver.find_element(By.ID, "q")
        box.send_keys("lefev")  # Gérard Lefèvre: partial, without the accent
        box.submit()
        WebDriverWait(driver, 10).until(lambda d: "demande(s)" in d.page_source or "Aucune demande" in d.page_source)
        results = driver.find_elements(By.CSS_SELECTOR, "ul.results li a")
        check(len(results) == 1 and "Gérard Lefèvre" in results[0].text, "a partial unaccented name finds Gérard Lefèvre")
        shoot(driver, check, args.artefacts, "recherche")
        results = driver.find_elements(By.CSS_SELECTOR, "ul.results li a")
        reference = results[0].find_element(By.CSS_SELECTOR, ".ref").text
        click_and_wait(driver, results[0], on_page("/demande/" + reference))
        check(driver.current_url.endswith("/demande/" + reference), f"the result opens {reference}")
        check("Bruit du bar après minuit" in driver.find_element(By.TAG_NAME, "h1").text, "the request page shows its subject")
        check("Agir sur la demande" not in driver.page_source, "an élu has no form to act")
        shoot(driver, check, args.artefacts, "demande")

        # An agent of another service: 404, with the same page as a request that does not exist.
        log_in(driver, commune, "p.martin@champignac.example")  # voirie, propreté
        check(driver.current_url.endswith("/mes-demandes"), f"an agent lands on their requests ({driver.current_url})")
        shoot(driver, check, args.artefacts, "mes-demandes")
        urbanisme = commune.reference("urbanisme")
        driver.get(commune.base + "/demande/" + urbanisme)
        check("Page introuvable" in driver.title, f"another service's request: not found ({driver.title})")
        check(status_with_session(driver, commune, "/demande/" + urbanisme) == 404, "another service's request answers 404")
        driver.get_log("browser")  # that 404 was asked for
        voirie = commune.reference("voirie")
        check(status_with_session(driver, commune, "/demande/" + voirie) == 200, "their own service's request answers 200")
        driver.get(commune.base + "/demande/" + voirie)
        driver.find_element(By.TAG_NAME, "summary").click()
        driver.find_element(By.ID, "note").send_keys("Équipe envoyée sur place")
        click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "details.act form button"),
                       lambda d: "note interne enregistrée" in d.page_source)
        check("Équipe envoyée sur place" in driver.page_source, "a note from the page is in the request")
        shoot(driver, check, args.artefacts, "demande-agent")

        # The front desk records a letter, with its scan, for a resident who gave no address.
        log_in(driver, commune, "c.garnier@champignac.example")  # accueil
        driver.get(commune.base + "/nouvelle-demande")
        check("Nouvelle demande" in driver.find_element(By.TAG_NAME, "h1").text, "an agent opens the new-request form")
        shoot(driver, check, args.artefacts, "nouvelle-demande")
        scan = os.path.join(commune.dir, "lettre-lagaffe.pdf")
        with open(scan, "wb") as f:
            f.write(b"%PDF-1.4\n% lettre de M. Lagaffe\n")
        driver.find_element(By.CSS_SELECTOR, "input[name=canal][value=courrier]").click()
        driver.find_element(By.ID, "demandeur").send_keys("M. Gaston Lagaffe")
        driver.find_element(By.ID, "adresse").send_keys("3 rue des Gaffes, 99123 Champignac")
        driver.find_element(By.ID, "texte").send_keys("Le trottoir est défoncé devant le 4 rue Pasteur.")
        driver.find_element(By.ID, "piece").send_keys(scan)
        click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "form.intake button"),
                       lambda d: "enregistrée" in d.find_element(By.TAG_NAME, "h1").text)
        recorded = re.search(r"/nouvelle-demande/(\d{4}-\d{6})$", driver.current_url)
        check(recorded is not None, f"the form leads to its confirmation ({driver.current_url})")
        check("à lui remettre" in driver.page_source, "without an address the acknowledgement is the desk's to hand over")
        shoot(driver, check, args.artefacts, "demande-enregistree")
        if recorded:
            row = commune.db().execute(
                "SELECT r.channel, r.requester_name, a.filename FROM requests r JOIN messages m ON m.request_id = r.id "
                "JOIN attachments a ON a.message_id = m.id WHERE r.reference = ?", (recorded.group(1),)).fetchone()
            check(row == ("courrier", "M. Gaston Lagaffe", "lettre-lagaffe.pdf"),
                  f"the letter is a request of the resident with its scan ({row})")

        # The pilot: the live view and the figures.
        log_in(driver, commune, "v.durand@champignac.example")
        driver.get(commune.base + "/vue")
        check(len(driver.find_elements(By.CSS_SELECTOR, "figure.chart svg rect")) > 0, "the live view draws its chart")
        shoot(driver, check, args.artefacts, "vue")
        driver.get(commune.base + "/chiffres")
        check("Total" in driver.page_source, "the figures page has its total")
        shoot(driver, check, args.artefacts, "chiffres")

        # Logging out ends the session.
        click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "form.who button"), on_page("/connexion"))
        check(driver.current_url.endswith("/connexion"), f"logging out leads to the login page ({driver.current_url})")
        driver.get(commune.base + "/vue")
        check(driver.current_url.endswith("/connexion"), "after logging out, the live view asks to log in")
    finally:
        driver.quit()
        commune.close()
    print(f"screenshots in {args.artefacts}")
    if check.failures:
        print(f"{len(check.failures)} check(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
