#!/usr/bin/python3
"""Test client for the agent's metrics endpoint, run inside the test's own network namespace.

  metrics_client.py scrape URL [--user U --password P] [--cafile PEM] [--accept TYPE]
      GET URL; prints one JSON object: status, content_type, and, on 200, the body parsed by the
      Prometheus client library's own exposition-format parser (text format, or OpenMetrics when the
      content type says so): {"families": [{"name", "type", "samples": [{"name", "labels", "value"}]}]}.
  metrics_client.py raw HOST PORT HEX
      Sends the bytes (hex) on a fresh TCP connection; prints the response's status line, or "closed".
"""
import base64
import json
import socket
import ssl
import sys
import urllib.error
import urllib.request

from prometheus_client.openmetrics import parser as om_parser
from prometheus_client import parser as text_parser


def scrape(argv):
    url = argv[0]
    opts = dict(zip(argv[1::2], argv[2::2]))
    req = urllib.request.Request(url)
    if "--user" in opts:
        token = base64.b64encode(f"{opts['--user']}:{opts['--password']}".encode()).decode()
        req.add_header("Authorization", "Basic " + token)
    if "--accept" in opts:
        req.add_header("Accept", opts["--accept"])
    ctx = None
    if "--cafile" in opts:
        ctx = ssl.create_default_context(cafile=opts["--cafile"])
        ctx.check_hostname = False
    try:
        with urllib.request.urlopen(req, timeout=30, context=ctx) as r:
            status, ctype, body = r.status, r.headers.get("Content-Type", ""), r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        print(json.dumps({"status": e.code, "content_type": e.headers.get("Content-Type", ""),
                          "www_authenticate": e.headers.get("WWW-Authenticate", "")}))
        return
    out = {"status": status, "content_type": ctype, "families": []}
    if "openmetrics" not in ctype and "version=0.0.4" not in ctype:
        print(json.dumps(out))  # not an exposition (the index page)
        return
    parse = om_parser.text_string_to_metric_families if "openmetrics" in ctype \
        else text_parser.text_string_to_metric_families
    for fam in parse(body):
        out["families"].append({"name": fam.name, "type": fam.type, "samples": [
            {"name": s.name, "labels": s.labels, "value": s.value} for s in fam.samples]})
    print(json.dumps(out))


def raw(argv):
    host, port, data = argv[0], int(argv[1]), bytes.fromhex(argv[2])
    with socket.create_connection((host, port), timeout=10) as s:
        s.sendall(data)
        buf = b""
        try:
            while b"\r\n" not in buf:
                chunk = s.recv(4096)
                if not chunk:
                    break
                buf += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    print(buf.split(b"\r\n")[0].decode("latin-1") if buf else "closed")


if __name__ == "__main__":
    {"scrape": scrape, "raw": raw}[sys.argv[1]](sys.argv[2:])
