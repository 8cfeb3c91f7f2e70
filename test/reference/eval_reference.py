"""Expected evaluation metrics from scikit-learn 1.2 for test/unit/eval/reference.test.ts.

Run with Debian's python3-sklearn:  /usr/bin/python3 test/reference/eval_reference.py
Writes test/fixtures/reference/eval/<case>.predictions.csv (the model's predictions, the input of
`runlens eval`) and test/fixtures/reference/eval/<case>.expected.json (what sklearn computes from
that same CSV, read back so both sides see the same doubles).
"""
import json
import os
import sys

import numpy as np
import pandas as pd
import sklearn
from sklearn import datasets, metrics
from sklearn.calibration import calibration_curve
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler, label_binarize

HERE = os.path.dirname(os.path.abspath(__file__))
# RUNLENS_REFERENCE_OUT: write elsewhere (the tests do, to check the committed files are current).
OUT = os.environ.get("RUNLENS_REFERENCE_OUT") or os.path.join(HERE, "..", "fixtures", "reference", "eval")


def fl(a):
    return [float(x) for x in np.asarray(a, dtype=float)]


def split(x, y, stratify=True):
    return train_test_split(x, y, test_size=0.4, random_state=0, stratify=y if stratify else None)


def classifier_predictions(x, y):
    xtr, xte, ytr, yte = split(x, y)
    scaler = StandardScaler().fit(xtr)
    model = LogisticRegression(max_iter=5000).fit(scaler.transform(xtr), ytr)
    proba = model.predict_proba(scaler.transform(xte))
    return yte, model.classes_, proba


def write_classification(name, y, classes, proba, pred=None):
    if pred is None:
        pred = classes[np.argmax(proba, axis=1)]
    df = pd.DataFrame({"label": y, "prediction": pred})
    if len(classes) == 2:
        df["score"] = proba[:, 1]
    else:
        for i, c in enumerate(classes):
            df[f"score_{c}"] = proba[:, i]
    path = os.path.join(OUT, f"{name}.predictions.csv")
    df.to_csv(path, index=False, float_format="%.17g")
    back = pd.read_csv(path, dtype={"label": str, "prediction": str})
    return back


def classification_expected(df, binary):
    y = df["label"].to_numpy()
    p = df["prediction"].to_numpy()
    numeric = all(_is_num(v) for v in np.concatenate([y, p]))
    if numeric:
        y = y.astype(float)
        p = p.astype(float)
    labels = np.unique(np.concatenate([y, p]))
    label_str = [_label(v) for v in labels]
    out = {
        "labels": label_str,
        "accuracy": metrics.accuracy_score(y, p),
        "balanced_accuracy": metrics.balanced_accuracy_score(y, p),
        "confusion_matrix": metrics.confusion_matrix(y, p, labels=labels).tolist(),
    }
    per = metrics.precision_recall_fscore_support(y, p, labels=labels, zero_division=0)
    out["per_class"] = {
        label_str[i]: {"precision": float(per[0][i]), "recall": float(per[1][i]), "f1": float(per[2][i]), "support": int(per[3][i])}
        for i in range(len(labels))
    }
    for avg in ["macro", "micro", "weighted"]:
        pr, rc, f1, _ = metrics.precision_recall_fscore_support(y, p, average=avg, zero_division=0)
        out[avg] = {"precision": pr, "recall": rc, "f1": f1}
    if binary:
        pos = labels[-1]
        s = df["score"].to_numpy(dtype=float)
        yb = (y == pos).astype(int)
        out["roc_auc"] = metrics.roc_auc_score(yb, s)
        out["average_precision"] = metrics.average_precision_score(yb, s)
        out["log_loss"] = metrics.log_loss(yb, s)
        out["brier"] = metrics.brier_score_loss(yb, s)
        fpr, tpr, thr = metrics.roc_curve(yb, s)
        out["roc_curve"] = {"fpr": fl(fpr), "tpr": fl(tpr), "thresholds": fl(thr)}
        prec, rec, thr = metrics.precision_recall_curve(yb, s)
        out["pr_curve"] = {"precision": fl(prec), "recall": fl(rec), "thresholds": fl(thr)}
        pt, pp = calibration_curve(yb, s, n_bins=10, strategy="uniform")
        out["calibration"] = {"prob_true": fl(pt), "prob_pred": fl(pp)}
    else:
        truth_labels = np.unique(y)
        cols = [f"score_{_label(c)}" for c in truth_labels]
        s = df[cols].to_numpy(dtype=float)
        out["roc_auc"] = metrics.roc_auc_score(y, s, multi_class="ovr", average="macro", labels=truth_labels)
        yb = label_binarize(y, classes=truth_labels)
        out["average_precision"] = metrics.average_precision_score(yb, s, average="macro")
        out["log_loss"] = metrics.log_loss(y, s, labels=truth_labels)
        out["roc_curves"] = {}
        out["pr_curves"] = {}
        for i, c in enumerate(truth_labels):
            fpr, tpr, thr = metrics.roc_curve(yb[:, i], s[:, i])
            out["roc_curves"][_label(c)] = {"fpr": fl(fpr), "tpr": fl(tpr), "thresholds": fl(thr)}
            prec, rec, thr = metrics.precision_recall_curve(yb[:, i], s[:, i])
            out["pr_curves"][_label(c)] = {"precision": fl(prec), "recall": fl(rec), "thresholds": fl(thr)}
    return out


def _is_num(v):
    try:
        float(v)
        return True
    except ValueError:
        return False


def _label(v):
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = {}

    iris = datasets.load_iris()
    y, classes, proba = classifier_predictions(iris.data, iris.target_names[iris.target])
    cases["iris"] = classification_expected(write_classification("iris", y, classes, proba), False)
    # A model that never predicts "virginica": precision of that class is 0/0 (zero_division=0).
    weak_pred = classes[np.argmax(proba, axis=1)]
    weak_pred = np.where(weak_pred == "virginica", "versicolor", weak_pred)
    cases["iris_never_virginica"] = classification_expected(
        write_classification("iris_never_virginica", y, classes, proba, weak_pred), False
    )

    wine = datasets.load_wine()
    y, classes, proba = classifier_predictions(wine.data, wine.target)
    cases["wine"] = classification_expected(write_classification("wine", y, classes, proba), False)

    bc = datasets.load_breast_cancer()
    y, classes, proba = classifier_predictions(bc.data, bc.target)
    cases["breast_cancer"] = classification_expected(write_classification("breast_cancer", y, classes, proba), True)

    diab = datasets.load_diabetes()
    xtr, xte, ytr, yte = split(diab.data, diab.target, stratify=False)
    pred = LinearRegression().fit(xtr, ytr).predict(xte)
    path = os.path.join(OUT, "diabetes.predictions.csv")
    pd.DataFrame({"label": yte, "prediction": pred}).to_csv(path, index=False, float_format="%.17g")
    back = pd.read_csv(path)
    yt, yp = back["label"].to_numpy(float), back["prediction"].to_numpy(float)
    cases["diabetes"] = {
        "mae": metrics.mean_absolute_error(yt, yp),
        "rmse": metrics.mean_squared_error(yt, yp, squared=False),
        "mse": metrics.mean_squared_error(yt, yp),
        "r2": metrics.r2_score(yt, yp),
        "mape": metrics.mean_absolute_percentage_error(yt, yp),
    }

    for name, expected in cases.items():
        expected["_source"] = f"test/reference/eval_reference.py, scikit-learn {sklearn.__version__}"
        with open(os.path.join(OUT, f"{name}.expected.json"), "w") as f:
            json.dump(expected, f, indent=1, sort_keys=True)
            f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.relpath(OUT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
