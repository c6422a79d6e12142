#!/usr/bin/env python3
"""Load sweep of the trace-shaped scenarios (gen.py) for every policy and seed.
Load 1x = an offered mean request rate (bursts included) equal to fcfs's saturated request
throughput, measured first from one heavily overloaded fcfs run of the same shape.
usage: sweep.py TOKENFLOW_BINARY OUTDIR [SETUP ...]   (run it under nice -n 10)"""
import json, os, subprocess, sys
BIN, OUT = sys.argv[1], sys.argv[2]
HERE = os.path.dirname(os.path.abspath(__file__))
# name: hardware, model, prompt mean, prompt sd fraction, output mean, duration (s), probe rate (req/s, overloaded)
SETUPS = {
    "h200-8b": ("h200", "llama3-8b", 1155, 0.6, 211, 120, 40),
    "rtx4090-8b": ("rtx4090", "llama3-8b", 1155, 0.6, 211, 120, 8),
    "h200-32b": ("h200", "qwen2.5-32b", 1155, 0.6, 211, 120, 12),
    "h200-8b-long": ("h200", "llama3-8b", 6000, 0.3, 300, 120, 8),
}
LOADS = [0.5, 1, 2, 3, 4, 8]
POLICIES = ["fcfs", "andes", "tokenflow"]
SEEDS = [1, 2, 3]
BURST_FACTOR = 1 + 3 * 0.2 + 3 * 0.3  # mean offered rate / base rate
TIMEOUT = int(os.environ.get("SWEEP_TIMEOUT", "150"))
ANDES_TIMEOUT = int(os.environ.get("SWEEP_ANDES_TIMEOUT", "40"))  # andes recomputes pathologically at high load
os.makedirs(OUT, exist_ok=True)

def scenario(setup, rate, tag):
    hw, model, pm, psd, om, dur, _ = SETUPS[setup]
    path = os.path.join(OUT, f"{setup}-{tag}.json")
    subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), path, f"{setup}-{tag}", hw, model, str(rate), str(pm), str(psd), str(om), str(dur)], check=True)
    return path

def simulate(path, policy, seed):
    res = path.replace(".json", f".{policy}.s{seed}.result.json")
    if os.path.exists(res):
        return json.load(open(res))["results"][0]
    try:
        subprocess.run([BIN, "simulate", "--scenario", path, "--policy", policy, "--seed", str(seed), "--json", res],
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=ANDES_TIMEOUT if policy == "andes" else TIMEOUT)
    except subprocess.TimeoutExpired:
        return None
    return json.load(open(res))["results"][0] if os.path.exists(res) else None

summary = {}
for setup in (sys.argv[3:] or SETUPS):
    probe = scenario(setup, SETUPS[setup][6], "probe")
    r = simulate(probe, "fcfs", 1)
    sat = r["completed_requests"] / r["makespan_s"]  # req/s fcfs sustains when it never idles
    print(f"{setup}: fcfs saturates at {sat:.2f} req/s", flush=True)
    summary[setup] = {"saturation_req_s": sat, "runs": {}}
    for load in LOADS:
        path = scenario(setup, load * sat / BURST_FACTOR, f"x{load:g}")
        for seed in SEEDS:
            row = {p: simulate(path, p, seed) for p in POLICIES}
            summary[setup]["runs"][f"x{load:g}/s{seed}"] = row
            f, t = row["fcfs"], row["tokenflow"]
            if f and t:
                print(f"  x{load:g} s{seed}: tok {t['token_throughput_tps']/f['token_throughput_tps']:.3f} p99ttft {t['ttft_p99_s']:.1f}/{f['ttft_p99_s']:.1f} "
                      f"stall {t['stall_mean_s']:.2f}/{f['stall_mean_s']:.2f} good {t['streaming_goodput']:.3f}/{f['streaming_goodput']:.3f} wall {t['wall_s']:.1f}s", flush=True)
        json.dump(summary, open(os.path.join(OUT, "summary.json"), "w"), indent=1)
