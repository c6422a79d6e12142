#!/usr/bin/env python3
"""Writes one trace-shaped scenario: gamma arrivals (CV 4) plus two Poisson bursts at 3x the base
rate on top (for 20% and 30% of the duration), prompt-heavy lengths, human readers.
usage: gen.py OUT NAME HW MODEL RATE PROMPT_MEAN PROMPT_SD_FRACTION OUTPUT_MEAN DURATION"""
import json, sys
out, name, hw, model, rate, pm, psd, om, dur = sys.argv[1:]
rate, pm, psd, om, dur = float(rate), float(pm), float(psd), float(om), float(dur)
sc = {
    "name": name,
    "description": f"Trace-shaped: gamma arrivals (CV 4) at {rate:.3g} req/s for {dur:g} s plus bursts at 3x that rate "
                   f"for {0.2*dur:g} s and {0.3*dur:g} s; prompts ~N({pm:g}, {psd:g}), outputs ~N({om:g}, 0.6); human readers.",
    "seed": 1, "hardware": hw, "model": model, "kv_mem_fraction": 0.3,
    "arrivals": [
        {"type": "gamma", "rate": rate, "cv": 4, "duration": dur},
        {"type": "poisson", "rate": 3 * rate, "start": 0.2 * dur, "duration": 0.2 * dur},
        {"type": "poisson", "rate": 3 * rate, "start": 0.6 * dur, "duration": 0.3 * dur},
    ],
    "prompt_len": {"type": "normal", "mean": pm, "sd_fraction": psd},
    "output_len": {"type": "normal", "mean": om, "sd_fraction": 0.6},
    "rate": {"type": "human"},
}
with open(out, "w") as f:
    json.dump(sc, f, indent=1)
