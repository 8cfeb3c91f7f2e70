"""Reference for test/unit/model/predictor.test.ts: the forward pass of a saved TensorFlow.js Sequential model of
Dense layers (relu/sigmoid/linear/softmax), computed with NumPy from model.json + the weight files,
after the standardisation in preprocessing.json. Reads rows (JSON list of objects) on stdin, prints
the first output of each row as JSON."""
import json
import os
import sys

import numpy as np

model_dir = sys.argv[1]
with open(os.path.join(model_dir, "model.json")) as f:
    model = json.load(f)
with open(os.path.join(model_dir, "preprocessing.json")) as f:
    prep = json.load(f)

buf = b""
specs = []
for group in model["weightsManifest"]:
    specs += group["weights"]
    for p in group["paths"]:
        with open(os.path.join(model_dir, p), "rb") as f:
            buf += f.read()
weights = {}
offset = 0
for s in specs:
    n = int(np.prod(s["shape"])) if s["shape"] else 1
    weights[s["name"]] = np.frombuffer(buf, dtype=np.float32, count=n, offset=offset).reshape(s["shape"])
    offset += 4 * n

rows = json.load(sys.stdin)
x = np.array([[(r[f["name"]] - f["mean"]) / f["std"] for f in prep["features"]] for r in rows], dtype=np.float64)
acts = {
    "relu": lambda v: np.maximum(v, 0),
    "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
    "linear": lambda v: v,
    "softmax": lambda v: np.exp(v - v.max(1, keepdims=True)) / np.exp(v - v.max(1, keepdims=True)).sum(1, keepdims=True),
}
topology = model["modelTopology"]
topology = topology.get("model_config", topology)
for layer in topology["config"]["layers"]:
    if layer["class_name"] != "Dense":
        continue
    name = layer["config"]["name"]
    x = acts[layer["config"]["activation"]](x @ weights[f"{name}/kernel"] + weights[f"{name}/bias"])
print(json.dumps([float(v) for v in x[:, 0]]))
