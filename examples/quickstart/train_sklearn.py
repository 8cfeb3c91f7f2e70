"""Gradient boosting on the breast cancer data with scikit-learn, tracked by Runlens.

Run it tracked:  runlens run -e quickstart -p learning_rate=0.05 -- /usr/bin/python3 train_sklearn.py
or alone:        /usr/bin/python3 train_sklearn.py
Needs scikit-learn (Debian: apt-get install python3-sklearn). The Runlens client is one file,
clients/python/runlens.py: `runlens run` puts it on PYTHONPATH; run alone in this checkout, the path below finds it.
"""
import csv
import json
import os
import pickle
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "clients", "python"))
import runlens  # noqa: E402

try:
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.metrics import accuracy_score, log_loss, roc_auc_score
    from sklearn.model_selection import train_test_split
except ImportError:
    sys.exit("scikit-learn is not installed: on Debian, apt-get install python3-sklearn and run with /usr/bin/python3")

DATA_FILE = os.path.join(HERE, "data", "breast_cancer.csv")
DEFAULTS = {"learning_rate": 0.1, "n_estimators": 60, "max_depth": 2, "subsample": 1.0, "val_fraction": 0.2, "seed": 7}


def load(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    assert header[-1] == "label" and len(header) == 31, f"{path}: expected 30 feature columns and label, got {header}"
    data = [[float(v) for v in r] for r in rows[1:]]
    assert all(len(r) == len(header) for r in data), path
    return [r[:-1] for r in data], [int(r[-1]) for r in data]


def main():
    with runlens.init(experiment="quickstart", params=DEFAULTS, tags={"framework": "sklearn"}) as run:
        p = run.params
        run.log_input(DATA_FILE)
        x, y = load(DATA_FILE)
        x_train, x_val, y_train, y_val = train_test_split(
            x, y, test_size=float(p["val_fraction"]), random_state=int(p["seed"]), stratify=y
        )
        model = GradientBoostingClassifier(
            learning_rate=float(p["learning_rate"]),
            n_estimators=int(p["n_estimators"]),
            max_depth=int(p["max_depth"]),
            subsample=float(p["subsample"]),
            random_state=int(p["seed"]),
        )
        model.fit(x_train, y_train)
        # One point per boosting stage: the learning curve of the ensemble.
        stages = zip(model.staged_predict_proba(x_train), model.staged_predict_proba(x_val))
        for step, (p_train, p_val) in enumerate(stages):
            run.log(
                {
                    "loss": log_loss(y_train, p_train),
                    "val_loss": log_loss(y_val, p_val),
                    "val_acc": accuracy_score(y_val, p_val.argmax(axis=1)),
                },
                step=step,
            )
        p_val = model.predict_proba(x_val)[:, 1]
        run.log({"val_auc": roc_auc_score(y_val, p_val)}, step=int(p["n_estimators"]) - 1)
        print("val_acc=%.4f val_auc=%.4f" % (accuracy_score(y_val, p_val > 0.5), roc_auc_score(y_val, p_val)))
        out = os.path.join(tempfile.mkdtemp(), "model.pkl")
        with open(out, "wb") as f:
            pickle.dump(model, f)
        run.log_artifact(out, "model/model.pkl")
        with open(os.path.join(os.path.dirname(out), "params.json"), "w") as f:
            json.dump(p, f)


if __name__ == "__main__":
    main()
