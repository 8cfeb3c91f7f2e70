"""Read runs back from an MLflow tracking server with MLflow's own Python client, as JSON.

Usage: MLFLOW_TRACKING_URI=... python3 mlflow_readback.py RUN_ID... > out.json
For each run: info, params, tags, every point of every metric (get_metric_history) and the
artifact files (list_artifacts, recursively, with sizes and sha256 of a download).
"""
import hashlib
import json
import math
import os
import sys
import tempfile

from mlflow.tracking import MlflowClient


def value(v):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def artifacts(client, run_id, path, out):
    for f in client.list_artifacts(run_id, path):
        if f.is_dir:
            artifacts(client, run_id, f.path, out)
        else:
            out[f.path] = {"size": f.file_size}


def main():
    client = MlflowClient()
    result = {}
    for run_id in sys.argv[1:]:
        run = client.get_run(run_id)
        metrics = {}
        for key in run.data.metrics:
            metrics[key] = [
                {"step": m.step, "timestamp": m.timestamp, "value": value(m.value)}
                for m in client.get_metric_history(run_id, key)
            ]
        arts = {}
        artifacts(client, run_id, None, arts)
        with tempfile.TemporaryDirectory() as d:
            for p in arts:
                local = client.download_artifacts(run_id, p, d)
                with open(local, "rb") as fh:
                    arts[p]["sha256"] = hashlib.sha256(fh.read()).hexdigest()
        exp = client.get_experiment(run.info.experiment_id)
        result[run_id] = {
            "experiment": exp.name,
            "name": run.info.run_name,
            "status": run.info.status,
            "start_time": run.info.start_time,
            "end_time": run.info.end_time,
            "params": run.data.params,
            "tags": run.data.tags,
            "metrics": metrics,
            "artifacts": arts,
        }
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
