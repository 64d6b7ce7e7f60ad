"""Drive the keyward dashboard in headless Chromium (selenium), then refuse a form posted
without its CSRF token with a plain HTTP client. Run by ui_browser.rs; everything comes
from the environment (the token never on a command line). Exit 0 when every check holds."""

import http.client
import os
import re
import sys
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

BASE = os.environ["KEYWARD_UI_URL"]
TOKEN = os.environ["KEYWARD_UI_TOKEN"]
VICTIM = os.environ["KEYWARD_UI_VICTIM"]
SECRET = os.environ["KEYWARD_UI_SECRET"]
SHOTS = os.environ["KEYWARD_UI_SHOTS"]


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


def shot(d, name):
    path = os.path.join(SHOTS, f"{name}.png")
    d.save_screenshot(path)
    print(f"screenshot {path}", flush=True)


def at(d, url):
    """Whether the browser reaches `url` within 15 s (a click's navigation is asynchronous)."""
    try:
        WebDriverWait(d, 15).until(lambda d: d.current_url == url)
        return True
    except Exception:
        return False


def browser():
    opts = webdriver.ChromeOptions()
    for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
              "--disable-gpu", "--window-size=1280,1000"]:
        opts.add_argument(a)
    opts.binary_location = os.environ["KEYWARD_UI_CHROMIUM"]
    d = webdriver.Chrome(service=Service(os.environ["KEYWARD_UI_CHROMEDRIVER"]), options=opts)
    d.implicitly_wait(10)
    return d


def in_browser():
    d = browser()
    try:
        d.get(BASE + "/ui/secrets")
        check(at(d, BASE + "/ui/login"), "a page without a session redirects to login")
        shot(d, "login")
        d.find_element(By.ID, "token").send_keys(TOKEN)
        d.find_element(By.ID, "login").click()
        check(at(d, BASE + "/ui/"), f"logged in ({d.current_url}: {d.page_source[-600:]})")
        overdue = d.find_element(By.ID, "overdue").text
        check(SECRET in overdue and "overdue" in overdue, f"overdue rotation on the overview: {overdue!r}")
        shot(d, "overview")
        d.find_element(By.LINK_TEXT, SECRET).click()
        check(at(d, f"{BASE}/ui/secrets/{SECRET}"), "the secret's page opens")
        check(d.find_element(By.ID, "secret-path").text == SECRET, "the secret's page")
        check("overdue" in d.page_source, "the secret's page says overdue")
        shot(d, "secret")
        for page in ["secrets", "rotation", "incidents", "audit", "findings"]:
            d.get(f"{BASE}/ui/{page}")
            check('id="error"' not in d.page_source and "<h1>" in d.page_source, f"/ui/{page} renders")
            shot(d, page)
        d.get(BASE + "/ui/tokens")
        shot(d, "tokens")
        d.find_element(By.ID, f"revoke-{VICTIM}").click()
        check(at(d, BASE + "/ui/tokens?revoked=1"), "the revoke form revoked the token")
        check("revoked 1 token(s)" in d.page_source, "the tokens page says so")
        check(VICTIM not in d.page_source, "the revoked token is gone from the list")
        shot(d, "tokens-revoked")
        d.find_element(By.ID, "logout").click()
        check(at(d, BASE + "/ui/login"), "logged out")
        d.get(BASE + "/ui/")
        check(at(d, BASE + "/ui/login"), "after logout the overview redirects to login")
    finally:
        d.quit()


def plain(method, path, cookie=None, body=None):
    u = urllib.parse.urlparse(BASE)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    headers = {"Host": u.netloc}
    if cookie:
        headers["Cookie"] = cookie
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = urllib.parse.urlencode(body)
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    return r.status, r.getheaders(), r.read().decode()


def cookie(headers, name):
    for k, v in headers:
        if k.lower() == "set-cookie" and v.startswith(name + "="):
            return v.split(";")[0]
    return None


def csrf_refused_without_browser():
    status, headers, body = plain("GET", "/ui/login")
    login = cookie(headers, "__Host-keyward_login")
    token = re.search(r'name="csrf" value="([^"]+)"', body).group(1)
    status, headers, _ = plain("POST", "/ui/login", login, {"csrf": token, "token": TOKEN})
    check(status == 303, f"plain-HTTP login ({status})")
    session = cookie(headers, "__Host-keyward_session")
    status, _, body = plain("POST", "/ui/tokens/revoke", session, {"accessor": "kwa_nothing"})
    check(status == 403 and "CSRF" in body, f"a form without its CSRF token is refused ({status})")
    status, _, _ = plain("POST", "/ui/logout", session, {"csrf": "forged"})
    check(status == 403, "logout with a forged CSRF token is refused")


os.makedirs(SHOTS, exist_ok=True)
in_browser()
csrf_refused_without_browser()
print("all browser checks passed", flush=True)
