#!/usr/bin/python3
"""/metrics read by Prometheus' own text parser (prometheus_client) and compared with
`ward ipsec dynamic show stats` read at the same moment (the traffic quiet). Prints PASS/FAIL
lines; the exit status is the number of failures.

  metrics.py URL TOKEN WARD SOCKET
"""
import os, re, subprocess, sys, urllib.request
from prometheus_client.parser import text_string_to_metric_families

url, token, ward, socket = sys.argv[1:5]
failures = 0


def check(name, ok, why=""):
    global failures
    print(("PASS " + name) if ok else ("FAIL %s: %s" % (name, why)), flush=True)
    failures += 0 if ok else 1


request = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
text = urllib.request.urlopen(request, timeout=10).read().decode()
stats = subprocess.run([ward, "ipsec", "dynamic", "show", "stats"], env=dict(os.environ, WARD_SOCKET=socket),
                       capture_output=True, text=True, timeout=30).stdout
shown = {}
for line in stats.splitlines():
    match = re.match(r"^\s*(\S.*?)\s+:\s+(\d+)\s*$", line)
    if match:
        shown.setdefault(match.group(1), int(match.group(2)))

try:
    families = list(text_string_to_metric_families(text))
    check("metrics: prometheus_client parses /metrics (%d families)" % len(families), len(families) > 20, str(len(families)))
except Exception as error:  # the parser's own complaint names the line
    check("metrics: prometheus_client parses /metrics", False, str(error))
    sys.exit(failures)

samples = {}
for family in families:
    for sample in family.samples:
        samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value


def value(name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


# metric (name, labels) -> the show stats label it must equal.
expected = [
    (("ward_ipsec_packets_total", {"direction": "outbound", "result": "protected"}), "Outbound Protected"),
    (("ward_ipsec_packets_total", {"direction": "outbound", "result": "permitted"}), "Outbound Permitted"),
    (("ward_ipsec_packets_total", {"direction": "outbound", "result": "blocked"}), "Outbound Blocked"),
    (("ward_ipsec_packets_total", {"direction": "inbound", "result": "protected"}), "Inbound Protected"),
    (("ward_ipsec_packets_total", {"direction": "inbound", "result": "permitted"}), "Inbound Permitted"),
    (("ward_ipsec_packets_total", {"direction": "inbound", "result": "clear_dropped"}), "Inbound Clear Dropped"),
    (("ward_ipsec_esp_packets_total", {"direction": "sent"}), "Packets Sent"),
    (("ward_ipsec_esp_packets_total", {"direction": "received"}), "Packets Received"),
    (("ward_ipsec_bytes_total", {"direction": "sent", "kind": "confidential"}), "Confidential Bytes Sent"),
    (("ward_ipsec_bytes_total", {"direction": "received", "kind": "confidential"}), "Confidential Bytes Received"),
    (("ward_ipsec_drops_total", {"reason": "bad_spi"}), "Bad SPI Packets"),
    (("ward_ike_negotiations_total", {"outcome": "established"}), "Total Key Add"),
    (("ward_ike_negotiations_total", {"outcome": "negotiation_failed"}), "Negotiation Failures"),
    (("ward_ike_negotiations_total", {"outcome": "authentication_failed"}), "Authentication Failures"),
    (("ward_ike_acquires_total", {}), "Total Acquire"),
    (("ward_ike_main_mode_sas", {}), "Main Mode SAs"),
    (("ward_ipsec_security_associations", {}), "Active Security Associations"),
    (("ward_ipsec_acquires_total", {}), "Acquires"),
]
for (name, labels), label in expected:
    got, want = value(name, **labels), shown.get(label)
    check("metrics: %s%s = show stats '%s' (%s)" % (name, labels or "", label, want), got is not None and want is not None and got == want,
          "metrics %s, show stats %s" % (got, want))

sa = [(labels, v) for (name, labels), v in samples.items() if name == "ward_ipsec_sa_bytes_total"]
qmsas = subprocess.run([ward, "ipsec", "dynamic", "show", "qmsas"], env=dict(os.environ, WARD_SOCKET=socket), capture_output=True, text=True, timeout=30).stdout
outbound = {m.group(1): None for m in re.finditer(r"Outbound SPI\s+:\s+(0x[0-9a-f]+)", qmsas)}
sent = [int(m.group(1)) for m in re.finditer(r"Bytes Sent\s+:\s+(\d+)", qmsas)]
metric_sent = {dict(l)["spi"]: v for l, v in sa if dict(l)["direction"] == "outbound"}
check("metrics: one per-SA byte series per outbound SPI of show qmsas", set(metric_sent) == set(outbound) and outbound, "%s vs %s" % (sorted(metric_sent), sorted(outbound)))
check("metrics: per-SA bytes sent = show qmsas' Bytes Sent", sorted(metric_sent.values()) == sorted(float(s) for s in sent), "%s vs %s" % (metric_sent, sent))
check("metrics: the compile time and the last change are reported", (value("ward_policy_compile_seconds") or 0) > 0 and (value("ward_policy_last_change_timestamp_seconds") or 0) > 1.7e9,
      "%s %s" % (value("ward_policy_compile_seconds"), value("ward_policy_last_change_timestamp_seconds")))
check("metrics: every metric has HELP and TYPE", all(f.documentation and f.type in ("counter", "gauge") for f in families), "")
sys.exit(failures)
