#!/usr/bin/python3
"""Headless Chromium (Debian's chromium + chromium-driver, through python3-selenium) against
wardd's console. Each subcommand prints "PASS name" or "FAIL name: why" lines; the exit status is
the number of failures. Run inside the namespace whose loopback the console listens on.

  console.py monitor  LOGIN_URL WARD SOCKET SHOTS   SAs on the page = show qmsas; screenshots of every page
  console.py plot     LOGIN_URL SHOTS               the plots' data advance while a transfer runs
  console.py trace    LOGIN_URL WARD SOCKET STORE   the trace form's answer = ward ipsec trace's
  console.py rule     LOGIN_URL STORE POLICY RULE yes|no   press Activate/Deactivate on the policy page
  console.py assign   LOGIN_URL STORE POLICY yes|no        press Assign/Unassign
  console.py readonly LOGIN_URL                     the read-only role's pages offer no change
"""
import json, os, re, subprocess, sys, time
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

failures = 0


def check(name, ok, why=""):
    global failures
    print(("PASS " + name) if ok else ("FAIL %s: %s" % (name, why)), flush=True)
    if not ok:
        failures += 1


def browser():
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1800",
                     "--no-first-run", "--disable-extensions", "--disable-background-networking", "--user-data-dir=/tmp/ward-console-chromium-%d" % os.getpid()]:
        options.add_argument(argument)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    return driver


def wait_for(predicate, seconds=20):
    end = time.time() + seconds
    while time.time() < end:
        try:
            value = predicate()
            if value:
                return value
        except Exception:
            pass
        time.sleep(0.25)
    return None


def cli(ward, socket, *words):
    return subprocess.run([ward, *words], env=dict(os.environ, WARD_SOCKET=socket), capture_output=True, text=True, timeout=30).stdout


def blocks(text, marker):
    """`Label : value` blocks of netsh-style output, one dict per block starting with marker."""
    result, current = [], None
    for line in text.splitlines():
        if line.startswith(marker):
            current = {}
            result.append(current)
        elif current is not None and " : " in line:
            label, value = line.split(" : ", 1)
            current[label.strip()] = value.strip()
    return result


def table_rows(driver, element_id):
    """The rows of a table as dicts by header, read in one script run: the live page replaces its
    tables every second, so elements found one call earlier may already be gone."""
    return driver.execute_script("""
        const table = document.querySelector('#' + arguments[0] + ' table') || document.getElementById(arguments[0]);
        if (!table) return [];
        const header = [...table.querySelectorAll('thead th')].map((th) => th.textContent);
        return [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent))
            .filter((cells) => cells.length === header.length).map((cells) => Object.fromEntries(cells.map((c, i) => [header[i], c])));
    """, element_id)


def statistics_shown(driver, element_id):
    return driver.execute_script("""
        return Object.fromEntries([...document.querySelectorAll('#' + arguments[0] + ' td[data-statistic]')]
            .map((td) => [td.dataset.statistic, td.textContent]));
    """, element_id)


def monitor(login, ward, socket, shots):
    os.makedirs(shots, exist_ok=True)
    driver = browser()
    try:
        driver.get(login)
        check("console: the login URL leads to the monitor page", wait_for(lambda: "IP Security Monitor" in driver.title), driver.title)
        check("console: the token left the address bar", "token=" not in driver.current_url, driver.current_url)
        rows = wait_for(lambda: table_rows(driver, "qmsas"))
        check("console: the monitor page lists Quick Mode SAs", bool(rows), "no rows")
        # The page follows the agent's snapshot a second; with the traffic quiet, two seconds
        # later it shows what show qmsas shows now.
        time.sleep(2.5)
        rows = table_rows(driver, "qmsas")
        shown = blocks(cli(ward, socket, "ipsec", "dynamic", "show", "qmsas"), "Quick Mode SA #")
        page = {(r["Inbound SPI"], r["Outbound SPI"]): r for r in rows}
        command = {(b.get("Inbound SPI"), b.get("Outbound SPI")): b for b in shown}
        check("console: the same SPI pairs as show qmsas (%d)" % len(command), set(page) == set(command) and command, "page %s, show qmsas %s" % (sorted(page), sorted(command)))
        same = all(page[k][f] == command[k][f] for k in command if k in page for f in ["Packets Sent", "Packets Received", "Bytes Sent", "Bytes Received"])
        check("console: the same packet and byte counts as show qmsas", same and command,
              json.dumps({"page": [page[k] for k in page], "cli": list(command.values())})[:2000])
        mm = wait_for(lambda: table_rows(driver, "mmsas"))
        check("console: the Main Mode SA is listed with its peer", mm and any("10.77.1.2" in r["Peer"] for r in mm), str(mm))
        statistics = statistics_shown(driver, "ipsec-statistics")
        cli_stats = cli(ward, socket, "ipsec", "dynamic", "show", "stats", "type=ipsec")
        active = re.search(r"Active Security Associations\s*:\s*(\d+)", cli_stats)
        check("console: Active Security Associations as show stats", active and statistics.get("Active Security Associations") == active.group(1),
              "page %s, cli %s" % (statistics.get("Active Security Associations"), active and active.group(1)))
        check("console: the plots are drawn by Chart.js (served by wardd)", wait_for(lambda: driver.execute_script("return typeof Chart !== 'undefined' && Chart.getChart('plot-bytes') !== undefined")), "no chart")
        driver.save_screenshot(os.path.join(shots, "monitor.png"))
        for path, name, marker in [("/policy", "policy", "Policies in the stores"), ("/rsop", "rsop", "Layers, highest precedence first"),
                                   ("/trace?srcaddr=10.77.1.1&dstaddr=10.77.1.2&protocol=TCP&dstport=23", "trace", "Decision")]:
            driver.get(login.split("/login")[0] + path)
            check("console: the %s page renders" % name, wait_for(lambda: marker in driver.page_source), driver.page_source[:300])
            driver.save_screenshot(os.path.join(shots, name + ".png"))
    finally:
        driver.quit()


def plot(login, shots):
    driver = browser()
    try:
        driver.get(login)
        read = "const c = Chart.getChart('plot-bytes'); return c ? [c.data.labels.slice(-1)[0], Math.max(...c.data.datasets[0].data.slice(-5))] : null"
        first = wait_for(lambda: driver.execute_script(read))
        time.sleep(5)
        second = driver.execute_script(read)
        check("console: the bytes plot's time axis advances during a transfer", first and second and second[0] > first[0], "%s then %s" % (first, second))
        check("console: the bytes plot shows the transfer (> 100 KB/s sent)", second and second[1] > 100000, str(second))
        for plot_id in ["plot-sa", "plot-sa-packets"]:
            # The transfer's 150 MB pass the SA's 100,000 KB lifetime: a rekey adds a second pair.
            sa = driver.execute_script("const c = Chart.getChart('%s'); return c ? Math.max(0, ...c.data.datasets.flatMap((d) => d.data.slice(-5))) : 0" % plot_id)
            check("console: the per-SA plot %s shows the transfer's SA" % plot_id, sa and sa > 0, str(sa))
        driver.save_screenshot(os.path.join(shots, "monitor-transfer.png"))
    finally:
        driver.quit()


def trace(login, ward, socket, store):
    driver = browser()
    base = login.split("/login")[0]
    try:
        driver.get(login)
        wait_for(lambda: "IP Security Monitor" in driver.title)
        driver.get(base + "/trace")
        for tag, value in [("srcaddr", "10.77.1.2"), ("dstaddr", "me"), ("protocol", "TCP"), ("dstport", "23")]:
            driver.find_element(By.ID, "trace-" + tag).send_keys(value)
        driver.find_element(By.ID, "trace-submit").click()
        result = wait_for(lambda: driver.find_element(By.ID, "trace-result").text)
        command = subprocess.run([ward, "--store", store, "ipsec", "trace", "srcaddr=10.77.1.2", "dstaddr=me", "protocol=TCP", "dstport=23"],
                                 env=dict(os.environ, WARD_SOCKET=socket), capture_output=True, text=True, timeout=30).stdout.strip()
        decision = lambda text: [l for l in (text or "").splitlines() if l.startswith("Decision") or l.startswith("Rule") or l.startswith("Filter")]
        check("console: the trace form gives the CLI's decision (%s)" % (decision(command)[:1] or ["?"])[0],
              result and decision(result) == decision(command) and decision(command), "page %r, cli %r" % (result, command))
        driver.get(base + "/trace?srcaddr=not-an-address&dstaddr=me")
        error = wait_for(lambda: driver.find_element(By.ID, "trace-error").text)
        check("console: a bad trace field is named as netsh names it", error and "srcaddr" in error, str(error))
    finally:
        driver.quit()


def press(login, button_id, expect):
    driver = browser()
    base = login.split("/login")[0]
    try:
        driver.get(login)
        wait_for(lambda: "IP Security Monitor" in driver.title)
        driver.get(base + "/policy")
        button = wait_for(lambda: driver.find_element(By.ID, button_id))
        check("console: the policy page offers %s" % button_id, button is not None, driver.page_source[:500])
        if button is None:
            return
        button.click()
        message = wait_for(lambda: driver.find_element(By.ID, "message").text)
        check("console: %s answered %r" % (button_id, (message or "")[:80]), message and message.startswith("Done") and expect in message,
              "%s at %s: %s" % (message, driver.current_url, driver.page_source[:600]))
    finally:
        driver.quit()


def readonly(login):
    driver = browser()
    base = login.split("/login")[0]
    try:
        driver.get(login)
        wait_for(lambda: "IP Security Monitor" in driver.title)
        check("console: the read-only role is shown", driver.find_element(By.ID, "role").text == "read-only", driver.find_element(By.ID, "role").text)
        driver.get(base + "/policy")
        wait_for(lambda: "Policies in the stores" in driver.page_source)
        check("console: the read-only policy page has no change buttons", not driver.find_elements(By.CSS_SELECTOR, "form[method=post]"), "forms found")
        check("console: the read-only pages carry no CSRF token", not driver.find_elements(By.CSS_SELECTOR, "meta[name=ward-csrf]"), "meta found")
    finally:
        driver.quit()


command, args = sys.argv[1], sys.argv[2:]
runs = {"monitor": monitor, "plot": plot, "trace": trace, "readonly": readonly,
        "rule": lambda login, store, policy, rule, activate: press(login, "rule-%s-%s" % (store, rule), "activate=" + activate),
        "assign": lambda login, store, policy, assign: press(login, "assign-%s-%s" % (store, policy), "assign=" + assign)}
if command not in runs:
    sys.exit("unknown subcommand " + command)
try:
    runs[command](*args)
except Exception as error:  # a crash is a failure with its reason, never a silent stop
    import traceback
    check("console: %s ran to its end" % command, False, "%s: %s at %s" % (type(error).__name__, error, traceback.format_tb(error.__traceback__)[-1].strip()))
sys.exit(failures)
