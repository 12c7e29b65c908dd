#!/usr/bin/python3
"""The metrics section's scraper, run inside the bench's own network namespace.

  metrics_scraper.py URL SECONDS INTERVAL
      GETs URL every INTERVAL seconds (fixed rate, a new connection each time) for SECONDS seconds; for each
      request prints one JSON line: status, ms (from connecting to the last byte of the body read), bytes (the
      body's), series (sample lines) and talker_series (sample lines of vifscope_talker_* families).
"""
import http.client
import json
import sys
import time
import urllib.parse


def main(url, seconds, interval):
    u = urllib.parse.urlsplit(url)
    deadline = time.monotonic() + seconds
    tick = time.monotonic()
    while tick < deadline:
        t0 = time.perf_counter()
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        try:
            conn.request("GET", u.path or "/")
            r = conn.getresponse()
            body = r.read()
            status = r.status
        finally:
            conn.close()
        ms = (time.perf_counter() - t0) * 1000
        series = talkers = 0
        for line in body.split(b"\n"):
            if line and not line.startswith(b"#"):
                series += 1
                if line.startswith(b"vifscope_talker_"):
                    talkers += 1
        print(json.dumps({"status": status, "ms": ms, "bytes": len(body), "series": series,
                          "talker_series": talkers}), flush=True)
        tick += interval
        pause = tick - time.monotonic()
        if pause > 0:
            time.sleep(pause)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), float(sys.argv[3]))
