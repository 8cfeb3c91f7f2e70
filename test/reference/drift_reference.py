"""Expected drift statistics from scipy 1.10 for test/unit/drift/reference.test.ts.

Run:  /usr/bin/python3 test/reference/drift_reference.py
Reads the bike-sharing data (test/fixtures/datasets/bike-sharing, copies of the shared fixtures), writes the
2011/2012 splits the tests read to test/fixtures/datasets/bike-sharing/, and the expected values to
test/fixtures/reference/drift/expected.json. The test choice follows Evidently's defaults (reference
<= 1000 rows: ks_2samp for numeric columns with > 5 values, chisquare for more than 2 values, Z-test of
proportions for 2; larger references: Wasserstein distance / std and Jensen-Shannon distance).
"""
import json
import os

import numpy as np
import pandas as pd
import scipy
from scipy import stats
from scipy.spatial import distance

HERE = os.path.dirname(os.path.abspath(__file__))
# RUNLENS_REFERENCE_OUT: write everything there (the tests do, to check the committed files are current).
_ALT = os.environ.get("RUNLENS_REFERENCE_OUT")
DATA = os.path.join(_ALT, "bike-sharing") if _ALT else os.path.join(HERE, "..", "fixtures", "datasets", "bike-sharing")
OUT = _ALT or os.path.join(HERE, "..", "fixtures", "reference", "drift")
COMMITTED = os.path.join(HERE, "..", "fixtures", "datasets", "bike-sharing")


def keys_of(r, c):
    return sorted(set(r.dropna().unique()) | set(c.dropna().unique()))


def chi(r, c):
    keys = keys_of(r, c)
    rc, cc = r.value_counts(), c.value_counts()
    k = len(c) / len(r)
    obs = [cc.get(x, 0) for x in keys]
    exp = [rc.get(x, 0) * k for x in keys]
    s, p = stats.chisquare(obs, exp)
    return float(s), float(p)


def z(r, c):
    keys = keys_of(r, c)
    if len(keys) == 1:
        return 0.0, 1.0
    key = keys[0]
    a, b = (r == key).astype(int), (c == key).astype(int)
    n1, n2 = len(a), len(b)
    p1, p2 = a.sum() / n1, b.sum() / n2
    P = (p1 * n1 + p2 * n2) / (n1 + n2)
    zz = (p1 - p2) / np.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2))
    return float(zz), float(2 * (1 - stats.norm.cdf(abs(zz))))


def js(r, c):
    keys = keys_of(r, c)
    rc, cc = r.value_counts(), c.value_counts()
    rp = np.array([rc.get(x, 0) for x in keys]) / len(r)
    cp = np.array([cc.get(x, 0) for x in keys]) / len(c)
    return float(distance.jensenshannon(rp, cp))


def default_test(r, c, numeric):
    n_values = pd.concat([r, c]).nunique()
    if len(r) <= 1000:
        if numeric and n_values > 5:
            res = stats.ks_2samp(r, c)
            return "ks", float(res.statistic), float(res.pvalue)
        if n_values > 2:
            return ("chisquare", *chi(r, c))
        return ("z", *z(r, c))
    if numeric and n_values > 5:
        return "wasserstein", float(stats.wasserstein_distance(r, c) / max(np.std(r), 0.001)), None
    return "jensenshannon", js(r, c), None


def case(ref, cur, columns, numeric):
    out = {}
    for col in columns:
        m, s, p = default_test(ref[col].dropna(), cur[col].dropna(), col in numeric)
        out[col] = {"method": m, "statistic": s, "pValue": p}
    return out


def main():
    os.makedirs(DATA, exist_ok=True)
    os.makedirs(OUT, exist_ok=True)
    src = COMMITTED
    day = pd.read_csv(os.path.join(src, "day.csv"))
    hour = pd.read_csv(os.path.join(src, "hour.csv"))
    splits = {
        "day_2011.csv": day[day.yr == 0],
        "day_2012.csv": day[day.yr == 1],
        "hour_2011.csv": hour[hour.yr == 0],
        "hour_2012.csv": hour[hour.yr == 1],
        "hour_2011_jan.csv": hour[(hour.yr == 0) & (hour.mnth == 1)],
    }
    for name, df in splits.items():
        df.to_csv(os.path.join(DATA, name), index=False)
    cats = ["season", "holiday", "weekday", "workingday", "weathersit", "mnth"]
    nums = ["temp", "atemp", "hum", "windspeed", "casual", "registered", "cnt"]
    day_cols = cats + nums
    expected = {
        "_source": f"test/reference/drift_reference.py, scipy {scipy.__version__}",
        # Everything read as numbers, as runlens detects these integer-coded columns.
        "day": case(splits["day_2011.csv"], splits["day_2012.csv"], day_cols, set(day_cols)),
        "hour": case(splits["hour_2011.csv"], splits["hour_2012.csv"], day_cols + ["hr"], set(day_cols + ["hr"])),
        # 744 reference rows, 17,379 current rows: ks_2samp switches to the asymptotic distribution.
        "hour_asymp": case(splits["hour_2011_jan.csv"], hour, ["temp", "hum", "windspeed", "cnt"], set(nums)),
    }
    iris = pd.read_csv(os.path.join(HERE, "..", "fixtures", "reference", "eval", "iris.predictions.csv"))  # written by eval_reference.py
    ks_cases = {}
    for name, (a, b) in {
        "iris_unequal_sizes": (iris["score_setosa"][:25], iris["score_setosa"][25:]),
        "iris_equal_sizes": (iris["score_virginica"][:30], iris["score_virginica"][30:]),
    }.items():
        r = stats.ks_2samp(a, b)
        ks_cases[name] = {"a": [float(x) for x in a], "b": [float(x) for x in b], "statistic": float(r.statistic), "pValue": float(r.pvalue)}
    expected["ks"] = ks_cases
    expected["chi2_sf"] = [
        {"x": x, "df": df, "p": float(stats.chi2.sf(x, df))} for x, df in [(0.5, 1), (3.2, 2), (10.0, 3), (50.0, 11), (200.0, 30), (1e-3, 5), (700.0, 3)]
    ]
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
