"""Expected param/metric correlations from scipy 1.10 for test/unit/charts/paramView.test.ts.

Run:  /usr/bin/python3 test/reference/compare_reference.py
Reads the real MLflow file stores in test/fixtures/importers/mlruns/diffusers (see SOURCES.md there)
with the standard library, the way MLflow's FileStore lays them out: per run its name (meta.yaml
run_name), the param batch_size, and every metric's latest, minimum and maximum value ("latest" as
Runlens summarises: the value at the largest step, the later line on ties). Writes, per metric and
statistic, scipy.stats.pearsonr and scipy.stats.spearmanr of batch_size against it to
test/fixtures/reference/compare/expected.json.
"""
import glob
import json
import os

import scipy
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
STORES = os.path.join(HERE, "..", "fixtures", "importers", "mlruns", "diffusers")
OUT = os.environ.get("RUNLENS_REFERENCE_OUT") or os.path.join(HERE, "..", "fixtures", "reference", "compare")


def run_name(meta):
    with open(meta) as f:
        for line in f:
            if line.startswith("run_name:"):
                return line.split(":", 1)[1].strip()
    raise ValueError(f"{meta}: no run_name")


def series(path):
    points = []
    with open(path) as f:
        for n, line in enumerate(f):
            parts = line.split()
            if len(parts) >= 2:
                step = int(parts[2]) if len(parts) >= 3 else 0
                points.append((step, n, float(parts[1])))
    latest = max(points)[2]
    values = [p[2] for p in points]
    return {"last": latest, "min": min(values), "max": max(values)}


runs = {}
for meta in sorted(glob.glob(os.path.join(STORES, "**", "mlruns", "*", "*", "meta.yaml"), recursive=True)):
    run_dir = os.path.dirname(meta)
    param = os.path.join(run_dir, "params", "batch_size")
    if not os.path.exists(param):
        continue
    with open(param) as f:
        batch_size = float(f.read().strip())
    metrics = {
        os.path.basename(m): series(m) for m in sorted(glob.glob(os.path.join(run_dir, "metrics", "*")))
    }
    runs[run_name(meta)] = {"batch_size": batch_size, "metrics": metrics}

names = sorted(runs)
x = [runs[n]["batch_size"] for n in names]
expected = {
    "scipy": scipy.__version__,
    "runs": names,
    "batch_size": x,
    "metrics": {},
}
for key in sorted({k for r in runs.values() for k in r["metrics"]}):
    for stat in ("last", "min", "max"):
        y = [runs[n]["metrics"][key][stat] for n in names]
        expected["metrics"][f"{key}.{stat}"] = {
            "values": y,
            "pearson": float(stats.pearsonr(x, y)[0]),
            "spearman": float(stats.spearmanr(x, y).correlation),
        }

os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
    f.write("\n")
