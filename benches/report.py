#!/usr/bin/env python3
"""Prints the medians of the last criterion run (target/criterion) and the ratios the issue's
targets are stated in.  usage: benches/report.py [TARGET_DIR]"""
import json, os, sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "target")
crit = os.path.join(root, "criterion")
med = {}
for dirpath, _, files in os.walk(crit):
    if os.path.basename(dirpath) == "new" and "estimates.json" in files and "benchmark.json" in files:
        with open(os.path.join(dirpath, "benchmark.json")) as f:
            full_id = json.load(f)["full_id"]
        with open(os.path.join(dirpath, "estimates.json")) as f:
            med[full_id] = json.load(f)["median"]["point_estimate"]

def fmt(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"

print("medians:")
for k in sorted(med):
    print(f"  {k:<40} {fmt(med[k]):>12}")

def ratio(label, num, den, target):
    if num in med and den in med:
        r = med[num] / med[den]
        print(f"  {label:<52} {r:8.3f}   target {target}")

print("ratios:")
ratio("cedar / portico (authorization)", "authorize/cedar", "authorize/portico", ">= 20")
if "token/sha256" in med:
    for store in ("memory", "sqlite", "postgres"):
        sha = med["token/sha256"]
        for path, lookup, what in (("session/authenticate", "session/lookup", "session verification"),
                                   ("invitation/inspect", "invitation/lookup", "invitation link check"),
                                   ("invitation/redeem", "invitation/lookup", "invitation redemption"),
                                   ("reset/redeem", "invitation/lookup", "reset redemption")):
            p, l = f"{path}/{store}", f"{lookup}/{store}"
            if p in med and l in med:
                floor = sha + med[l]
                target = "<= 2" if path == "session/authenticate" else "(report)"
                print(f"  {what + ' / floor, ' + store:<52} {med[p] / floor:8.3f}   target {target}"
                      f"   (floor {fmt(floor)} = sha {fmt(sha)} + lookup {fmt(med[l])})")
if "signin/portal" in med and "signin/argon2_verify" in med:
    o = med["signin/portal"] / med["signin/argon2_verify"] - 1
    print(f"  {'sign-in overhead over argon2 verify':<52} {o * 100:7.2f} %  target < 5 %")
ratio("dashboard / slowest widget", "dashboard/lettings_all", "dashboard/slowest_widget", "<= 1.2")
