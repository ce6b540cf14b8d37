"""The dashboard in headless Chromium (tests/browser/dashboard.sh runs it).

It signs in with a one-time link from `rcmqctl web link leader`, reads the
Overview's KPI tiles and checks each against `rcmqctl --as leader --json
metrics kpi` (the same request with the same key: the figures must be
equal, not close), clicks an A/R aging bar and lands on the claims behind it
(checked against `rcmqctl metrics drill`), changes a filter and sees the URL
and the figures change (to `rcmqctl metrics kpi --payer P`'s), downloads the
Overview's CSV and checks its figures, checks the Work panel against
`rcmqctl work list` / `work mine`, the audit search page against `rcmqctl
audit query`, and that a vendor lead opens its own team's queue but gets
403 for another team's (audited: `rcmqctl audit query` finds the refusal),
and saves a screenshot of each page.
Expected figures come from rcmqctl, the API's other client, never from the
page itself.
"""
import argparse
import csv
import io
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

failures = 0


def ok(what):
    print("ok   " + what, flush=True)


def fail(what):
    global failures
    failures += 1
    print("FAIL " + what, flush=True)


def check(condition, what, detail=""):
    if condition:
        ok(what)
    else:
        fail(what + (": " + detail if detail else ""))
    return condition


def ctl(args, *command):
    out = subprocess.run([args.ctl, "--config", args.config, *command], check=True,
                         capture_output=True, text=True).stdout
    return out


def ctl_json(args, *command):
    return json.loads(ctl(args, "--as", "leader", "--json", *command))


def tiles(driver):
    """{kpi: figure as JSON} of the Overview's tiles."""
    found = {}
    for tile in driver.find_elements(By.CSS_SELECTOR, ".tile"):
        found[tile.get_attribute("data-kpi")] = json.loads(tile.get_attribute("data-value"))
    return found


def compare_tiles(found, expected, what):
    """Every tile equals rcmqctl's figure of the same name, exactly."""
    names = [name for name, value in expected.items()
             if not isinstance(value, (dict, list)) and name not in ("from", "to", "as_of", "window_days")]
    missing = [name for name in names if name not in found]
    check(not missing, what + ": a tile for every KPI rcmqctl prints", "missing " + ", ".join(missing))
    wrong = ["%s: page %r, rcmqctl %r" % (name, found[name], expected[name])
             for name in names if name in found and found[name] != expected[name]]
    check(not wrong, what + ": %d tiles equal rcmqctl --json metrics kpi" % len(names), "; ".join(wrong))


def work_items(args):
    """Every work item rcmqctl --as leader work list gives, all pages."""
    items, after = [], None
    while True:
        page = ctl_json(args, "work", "list", "--limit", "1000", *(["--after", after] if after else []))
        items += page["items"]
        after = page["next_after"]
        if not after:
            return items


def status_of(url, cookie):
    """The HTTP status of a GET with the session cookie (no redirect followed)."""
    request = urllib.request.Request(url, headers={"Cookie": "rcmq_session=" + cookie["value"]})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def body_of(url, cookie):
    """The body of a GET with the session cookie, as text."""
    request = urllib.request.Request(url, headers={"Cookie": "rcmq_session=" + cookie["value"]})
    with urllib.request.urlopen(request) as response:
        return response.read().decode("utf-8")


def csv_figure(text):
    """A CSV cell of a figure as rcmqctl --json has it (empty: null)."""
    return json.loads(text) if text else None


def shot(driver, args, name):
    path = os.path.join(args.artifacts, name + ".png")
    driver.set_window_size(1280, max(900, driver.execute_script("return document.body.scrollHeight")))
    driver.save_screenshot(path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ctl", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--artifacts", required=True)
    parser.add_argument("--downloads", required=True)
    args = parser.parse_args()
    os.makedirs(args.downloads, exist_ok=True)

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--window-size=1280,900"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": args.downloads,
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(120)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": args.downloads})
    try:
        # Sign in with a one-time link: it lands on the Overview.
        link = ctl(args, "web", "link", "leader").strip()
        driver.get(link)
        check(driver.current_url == args.url + "/", "the one-time link signs in and opens the Overview",
              driver.current_url)
        check(driver.find_element(By.TAG_NAME, "h1").text == "Overview", "the page is the Overview")
        overall = tiles(driver)
        compare_tiles(overall, ctl_json(args, "metrics", "kpi"), "Overview")
        check(len(driver.find_elements(By.CSS_SELECTOR, ".tile svg.spark")) >= 6,
              "headline tiles carry a trend sparkline (inline SVG)")
        check(len(driver.find_elements(By.CSS_SELECTOR, ".tile .prev")) > 0, "tiles show the previous period")
        # The sparklines come from one metrics.Trend (its kpis form): each
        # one's points equal rcmqctl's single-KPI trend of the same months.
        as_of = driver.find_element(By.ID, "as-of").text
        wrong, spans = [], driver.find_elements(By.CSS_SELECTOR, ".tile span.trend")
        for span in spans:
            kpi = span.get_attribute("data-kpi")
            want = [p["value"] for p in ctl_json(args, "metrics", "trend", kpi, "--interval", "month",
                                                 "--periods", "12", "--as-of", as_of)["points"]]
            if json.loads(span.get_attribute("data-values")) != want:
                wrong.append("%s: page %s, rcmqctl %r" % (kpi, span.get_attribute("data-values"), want))
        check(len(spans) == 8 and not wrong, "the %d sparklines' points equal rcmqctl --json metrics trend's" % len(spans),
              "; ".join(wrong))
        shot(driver, args, "overview")

        # A/R aging: click a bar, land on its claims.
        driver.find_element(By.LINK_TEXT, "A/R aging").click()
        check(driver.current_url.startswith(args.url + "/aging"), "the navigation opens A/R aging")
        aging = ctl_json(args, "metrics", "aging", "--by", "payer")
        rows = {row.get_attribute("data-payer"): row for row in driver.find_elements(By.CSS_SELECTOR, "#aging tbody tr")}
        wrong = []
        for group in aging["groups"]:
            row = rows.get(group["key"])
            cells = [int(td.get_attribute("data-cents")) for td in row.find_elements(By.TAG_NAME, "td")] if row else None
            want = [group["aging"][b] for b in ("0_30", "31_60", "61_90", "91_120", "over_120")]
            if cells != want + [sum(want)]:
                wrong.append("%s: page %r, rcmqctl %r" % (group["key"], cells, want))
        check(not wrong and aging["groups"], "aging table equals rcmqctl --json metrics aging --by payer", "; ".join(wrong))
        shot(driver, args, "aging")
        bars = driver.find_elements(By.CSS_SELECTOR, "svg.bars a.bar")
        check(len(bars) > 0, "the aging chart has bars that link")
        bar = bars[0]
        payer = bar.find_element(By.TAG_NAME, "g").get_attribute("data-label")
        driver.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))",
                              bar.find_element(By.TAG_NAME, "rect"))
        time.sleep(0.5)
        query = urllib.parse.parse_qs(urllib.parse.urlparse(driver.current_url).query)
        check(urllib.parse.urlparse(driver.current_url).path == "/drill" and query.get("kpi") == ["ar_cents"]
              and query.get("payer") == [payer], "clicking the %s bar opens its drill-down" % payer, driver.current_url)
        pcns = [th.text for th in driver.find_elements(By.CSS_SELECTOR, "#claims tbody th")]
        payers = {td.text for td in driver.find_elements(By.CSS_SELECTOR, "#claims tbody td:nth-child(4)")}
        drill = ctl_json(args, "metrics", "drill", "ar_cents", "--payer", payer, "--limit", "50")
        check(pcns and pcns == [row["pcn"] for row in drill["rows"]],
              "its claims are rcmqctl metrics drill ar_cents --payer %s's (%d)" % (payer, len(pcns)))
        check(payers == {payer}, "every claim on it is the bar's payer", repr(payers))
        shot(driver, args, "drill")

        # A filter: the URL keeps it and the figures follow it.
        driver.get(args.url + "/")
        box = driver.find_element(By.ID, "f-payer")
        box.clear()
        box.send_keys(payer)
        driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
        time.sleep(0.5)
        query = urllib.parse.parse_qs(urllib.parse.urlparse(driver.current_url).query)
        check(query.get("payer") == [payer], "the filter is in the URL", driver.current_url)
        filtered = tiles(driver)
        check(filtered.get("ar_cents") != overall.get("ar_cents"), "the figures change with the filter",
              "%r vs %r" % (filtered.get("ar_cents"), overall.get("ar_cents")))
        compare_tiles(filtered, ctl_json(args, "metrics", "kpi", "--payer", payer), "Overview for payer " + payer)
        nav = driver.find_element(By.LINK_TEXT, "A/R aging").get_attribute("href")
        check("payer=" + payer in nav, "the navigation keeps the filter", nav)
        shot(driver, args, "overview-filtered")

        # CSV of what the page shows.
        driver.find_element(By.CSS_SELECTOR, "a.csv").click()
        path = os.path.join(args.downloads, "rcmq-overview.csv")
        for _ in range(100):
            if os.path.exists(path) and os.path.getsize(path) > 0:
                break
            time.sleep(0.1)
        if check(os.path.exists(path), "the CSV downloads as rcmq-overview.csv"):
            with open(path, newline="") as f:
                rows = list(csv.DictReader(f))
            in_csv = {row["kpi"]: (json.loads(row["value"]) if row["value"] else None) for row in rows}
            check(in_csv == filtered, "the CSV holds the page's figures (%d)" % len(in_csv),
                  repr(set(in_csv.items()) ^ set(filtered.items())))

        # Denials by category: the table is rcmqctl's list, the bars link to denied claims.
        driver.get(args.url + "/denials")
        table = [(row.get_attribute("data-category"), int(row.find_elements(By.TAG_NAME, "td")[0].text),
                  int(row.find_elements(By.TAG_NAME, "td")[1].get_attribute("data-cents")))
                 for row in driver.find_elements(By.CSS_SELECTOR, "#denials tbody tr")]
        want = [(d["category"], d["count"], d["cents"]) for d in ctl_json(args, "metrics", "kpi")["denials"]]
        check(table and table == want, "denials by category equal rcmqctl --json metrics kpi's (%d)" % len(want),
              "page %r, rcmqctl %r" % (table, want))
        hrefs = [a.get_dom_attribute("href") or "" for a in driver.find_elements(By.CSS_SELECTOR, "svg.bars a.bar")]
        check(hrefs and all("/drill?kpi=denied&" in h and "payer=" in h for h in hrefs),
              "each payer's denial bar links to its denied claims")
        # Top denial patterns: rcmqctl denials patterns' list, in its order,
        # with counts and dollars; the CSV twin holds the same.
        want = [(p.get("payer_id", ""), p.get("procedure_code", ""), p.get("rule", ""), p.get("category", ""),
                 p.get("count", 0), p.get("cents", 0))
                for p in ctl_json(args, "denials", "patterns")["patterns"]]
        page = [(row.get_attribute("data-payer"), row.get_attribute("data-procedure"), row.get_attribute("data-rule"),
                 row.get_attribute("data-category"), int(row.get_attribute("data-count")),
                 int(row.get_attribute("data-cents")))
                for row in driver.find_elements(By.CSS_SELECTOR, "#patterns tbody tr")]
        check(want and page == want, "top denial patterns equal rcmqctl --json denials patterns (%d)" % len(want),
              "page %r, rcmqctl %r" % (page, want))
        cookie = driver.get_cookie("rcmq_session")
        if want:
            payer = want[-1][0]
            driver.get(args.url + "/denials?payer=" + urllib.parse.quote(payer))
            page = [row.get_attribute("data-payer") for row in driver.find_elements(By.CSS_SELECTOR, "#patterns tbody tr")]
            check(page == [p[0] for p in want if p[0] == payer],
                  "filtered by payer %s, the patterns are that payer's" % payer, repr(page))
            driver.get(args.url + "/denials")
        rows = list(csv.DictReader(io.StringIO(body_of(args.url + "/denial-patterns.csv", cookie))))
        check([(r["payer_id"], r["procedure_code"], r["rule"], r["category"], int(r["count"]), int(r["cents"]))
               for r in rows] == want, "the patterns CSV holds the same patterns")
        # The Denials CSV: each payer's appeal and outcome figures beside its
        # categories, = rcmqctl --json metrics kpi --by payer.
        by_payer = {g["key"]: g for g in ctl_json(args, "metrics", "kpi", "--by", "payer")["groups"]}
        figures = ("denial_overturn_rate", "denials_open", "denials_missed_deadline", "denial_recovered_cents",
                   "denial_written_off_cents", "denial_days_to_appeal", "denials_opened", "denials_appealed")
        rows = list(csv.DictReader(io.StringIO(body_of(args.url + "/denials.csv", cookie))))
        wrong = ["%s %s: csv %r, rcmqctl %r" % (r["payer_id"], f, r[f], by_payer.get(r["payer_id"], {}).get(f))
                 for r in rows for f in figures if csv_figure(r[f]) != by_payer.get(r["payer_id"], {}).get(f)]
        check(rows and not wrong and {r["payer_id"] for r in rows} == set(by_payer),
              "the Denials CSV carries every payer's denial figures, = rcmqctl --json metrics kpi --by payer "
              "(%d rows, %d payers)" % (len(rows), len(by_payer)), "; ".join(wrong[:5]))
        shot(driver, args, "denials")

        # Scorecard: a row per team, the claims', work and denial figures
        # side by side, = rcmqctl --json metrics scorecard; the CSV too.
        teams = {t.get("team", ""): t for t in ctl_json(args, "metrics", "scorecard")["teams"]}
        driver.get(args.url + "/scorecard")
        wrong, seen = [], set()
        for cell in driver.find_elements(By.CSS_SELECTOR, "#scorecard tbody td[data-kpi]"):
            team = cell.find_element(By.XPATH, "..").find_element(By.TAG_NAME, "th").text
            team = "" if team == "(none)" else team
            kpi = cell.get_attribute("data-kpi")
            seen.add(kpi)
            if json.loads(cell.get_attribute("data-value")) != teams.get(team, {}).get(kpi):
                wrong.append("%s %s: page %s, rcmqctl %r" % (team, kpi, cell.get_attribute("data-value"),
                                                             teams.get(team, {}).get(kpi)))
        check(set(figures) | {"work_open", "work_overdue", "clean_claim_rate"} <= seen and not wrong,
              "the scorecard's claims, work and denial figures equal rcmqctl --json metrics scorecard (%d teams)"
              % len(teams), "; ".join(wrong[:5]))
        rows = list(csv.DictReader(io.StringIO(body_of(args.url + "/scorecard.csv", cookie))))
        wrong = ["%s %s" % (r["team"], f) for r in rows for f in figures
                 if csv_figure(r[f]) != teams.get(r["team"], {}).get(f)]
        check(len(rows) == len(teams) and not wrong, "the Scorecard CSV carries the denial figures too",
              "; ".join(wrong[:5]))

        # Queues & gates: each queue's phase and its figures, = rcmqctl's by queue.
        driver.get(args.url + "/queues")
        by_queue = {g["key"]: g for g in ctl_json(args, "metrics", "kpi", "--by", "queue")["groups"]}
        queues = {q["id"]: q for q in ctl_json(args, "queue", "list")}
        wrong = []
        rows = driver.find_elements(By.CSS_SELECTOR, "#queues tbody tr")
        for row in rows:
            queue = row.get_attribute("data-queue")
            phase = row.find_element(By.CSS_SELECTOR, "td.phase").text
            if queue not in queues or phase != queues[queue]["phase"]:
                wrong.append("%s: phase %r" % (queue, phase))
            for cell in row.find_elements(By.CSS_SELECTOR, "td[data-kpi]"):
                want = by_queue.get(queue, {}).get(cell.get_attribute("data-kpi"))
                if json.loads(cell.get_attribute("data-value")) != want:
                    wrong.append("%s %s: page %s, rcmqctl %r" % (queue, cell.get_attribute("data-kpi"),
                                                                 cell.get_attribute("data-value"), want))
        check(len(rows) == len(queues) and not wrong,
              "queues: every queue's phase and figures equal rcmqctl queue list / metrics kpi --by queue",
              "; ".join(wrong))
        shot(driver, args, "queues")

        check("No gate figures exist yet" in driver.find_element(By.ID, "gates").text,
              "the gate criteria panel says plainly that no gate figures exist yet")

        # Work: open, overdue and escalated items by queue and team, and the
        # user's own, = rcmqctl work list's items (every page) counted here.
        # Two open items handed to the leader (by admin), so "my items" has some.
        open_ids = [i["id"] for i in work_items(args) if i["state"] not in ("done", "cancelled")]
        for item in open_ids[:2]:
            ctl(args, "work", "assign", item, "leader", "--note", "browser test: my items")
        items = work_items(args)
        want = {}
        for item in items:
            if item["state"] in ("done", "cancelled"):
                continue
            row = want.setdefault((item["queue"], item["team"]), [0, 0, 0])
            row[0] += 1
            row[1] += bool(item["overdue"])
            row[2] += item["escalation_level"] > 0
        driver.get(args.url + "/work")
        found = {(row.get_attribute("data-queue"), row.get_attribute("data-team")):
                 [int(td.text) for td in row.find_elements(By.TAG_NAME, "td")[1:]]
                 for row in driver.find_elements(By.CSS_SELECTOR, "#work tbody tr")}
        check(found == want, "work by queue and team equals rcmqctl work list's open items (%d rows, %d items)"
              % (len(want), sum(r[0] for r in want.values())), "page %r, rcmqctl %r" % (found, want))
        totals = [int(driver.find_element(By.ID, i).get_attribute("data-value"))
                  for i in ("work-open", "work-overdue", "work-escalated")]
        check(totals == [sum(r[i] for r in want.values()) for i in range(3)], "the work totals add up", repr(totals))
        mine = [i["id"] for i in ctl_json(args, "work", "mine", "--limit", "1000")["items"]
                if i["state"] not in ("done", "cancelled")]
        page_mine = [th.text for th in driver.find_elements(By.CSS_SELECTOR, "#mine tbody th")]
        check(len(mine) == min(2, len(open_ids)) and page_mine == mine,
              "my items are rcmqctl work mine's open items, most urgent first (%d)" % len(mine),
              "page %r, rcmqctl %r" % (page_mine, mine))
        shot(driver, args, "work")

        # Compliance's audit search (audit.Query with the user's key: the
        # leader holds audit.read through *.read).
        driver.get(args.url + "/audit?method=metrics.Kpi&actor=leader")
        want = [r["index"] for r in ctl_json(args, "audit", "query", "--method", "metrics.Kpi", "--actor", "leader",
                                             "--limit", "100")["records"]]
        page = [int(row.get_attribute("data-index")) for row in driver.find_elements(By.CSS_SELECTOR, "#audit tbody tr")]
        check(want and page == want[:100], "the audit page lists rcmqctl audit query's records (%d)" % len(page),
              "page %r, rcmqctl %r" % (page[:5], want[:5]))
        shot(driver, args, "audit")

        for page, name in (("/scorecard", "scorecard"), ("/patients", "patients")):
            driver.get(args.url + page)
            shot(driver, args, name)
        check("Not available yet" in driver.page_source, "a panel without its figures says so")

        # A vendor lead (vince, acme-billing) opens its own team's queue but
        # not another team's: 403 from intake's queue.Show, and the refusal
        # is an access record rcmqctl audit query finds.
        driver.delete_all_cookies()
        driver.get(ctl(args, "web", "link", "vince").strip())
        check(driver.current_url.startswith(args.url + "/"), "the vendor lead signs in with a link", driver.current_url)
        cookie = driver.get_cookie("rcmq_session")
        driver.get(args.url + "/queue?id=q-bcbs")
        check(driver.find_element(By.TAG_NAME, "h1").text == "Queue q-bcbs"
              and status_of(args.url + "/queue?id=q-bcbs", cookie) == 200,
              "the vendor lead opens its own team's queue (q-bcbs, vendor phase)")
        shot(driver, args, "vendor-own-queue")
        began = time.time()
        status = status_of(args.url + "/queue?id=q-medicare", cookie)
        check(status == 403, "the vendor lead cannot open another team's queue (q-medicare): HTTP 403", str(status))
        driver.get(args.url + "/queue?id=q-medicare")
        check("queue.Show" in driver.page_source and "q-medicare" in driver.page_source,
              "the page says intake refused queue.Show for q-medicare")
        shot(driver, args, "vendor-403")
        # Intake answers a vendor's out-of-scope subject as absent (NOT_FOUND,
        # common/server.c), but its access record is a denied access
        # (PERMISSION_DENIED) naming the queue: compliance's "denied" finds it.
        refused = []
        while time.time() - began < 30 and not refused:
            refused = [r for r in ctl_json(args, "audit", "query", "--actor", "vince", "--method", "queue.Show",
                                           "--outcome", "denied", "--limit", "100")["records"]
                       if r["status"] == "PERMISSION_DENIED" and "q-medicare" in r["message"]
                       and r["role"] == "vendor-lead" and r["team"] == "acme-billing"]
            time.sleep(0.5)
        check(refused, "the refusal is audited as denied: rcmqctl audit query --actor vince --method queue.Show "
              "--outcome denied finds intake's refusal of q-medicare (vendor-lead, acme-billing)")
        check(status_of(args.url + "/audit", cookie) == 403,
              "the vendor lead gets 403 from the audit search page (no audit.read)")
    finally:
        driver.quit()
    print()
    if failures:
        print("browser: %d check(s) failed" % failures)
        sys.exit(1)
    print("browser: all checks passed; screenshots in " + args.artifacts)


main()
