#!/usr/bin/env python3
"""Markdown tables of a sweep (summary.json from sweep.py): per setup, load and seed, the ratios
tokenflow/fcfs and andes/fcfs, and the absolute mean stall, QoS and goodput of each.
usage: summarize.py OUTDIR/summary.json"""
import json, sys
S = json.load(open(sys.argv[1]))

def ratio(a, b, k):
    return f"{a[k] / b[k]:.2f}" if a and b and b[k] else "–"

def targets(t, f):
    miss = []
    if t["token_throughput_tps"] < 0.97 * f["token_throughput_tps"]: miss.append("tok")
    if t["ttft_p99_s"] > f["ttft_p99_s"]: miss.append("p99")
    if t["stall_mean_s"] > f["stall_mean_s"] + 0.5: miss.append("stall")
    if t["qos"] < f["qos"]: miss.append("qos")
    if t["streaming_goodput"] < f["streaming_goodput"]: miss.append("good")
    return ",".join(miss) or "all met"

for setup, d in S.items():
    print(f"\n#### {setup} (fcfs saturates at {d['saturation_req_s']:.2f} req/s)\n")
    print("| load/seed | tok t/f | tok a/f | P99 TTFT t/f | P99 TTFT a/f | stall s f / t / a | QoS f / t / a | goodput f / t / a | eff t/f | eff a/f | tokenflow targets missed |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for key, row in d["runs"].items():
        f, a, t = row["fcfs"], row["andes"], row["tokenflow"]
        if not f or not t: print(f"| {key} | missing run |"); continue
        A = lambda k, fmt: format(a[k], fmt) if a else "timeout"
        print(f"| {key} | {ratio(t, f, 'token_throughput_tps')} | {ratio(a, f, 'token_throughput_tps')} | {ratio(t, f, 'ttft_p99_s')} | {ratio(a, f, 'ttft_p99_s')} | "
              f"{f['stall_mean_s']:.2f} / {t['stall_mean_s']:.2f} / {A('stall_mean_s', '.2f')} | {f['qos']:.0f} / {t['qos']:.0f} / {A('qos', '.0f')} | "
              f"{f['streaming_goodput']:.3f} / {t['streaming_goodput']:.3f} / {A('streaming_goodput', '.3f')} | {ratio(t, f, 'effective_throughput_tps')} | {ratio(a, f, 'effective_throughput_tps')} | {targets(t, f)} |")
