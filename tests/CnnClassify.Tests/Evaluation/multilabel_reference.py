"""Recomputes a multi-label evaluation with scikit-learn and compares it with CnnClassify's.

Usage: multilabel_reference.py DIR

DIR holds metrics.json and predictions.csv as 'cnnclassify evaluate' writes them for a
multi-label model. The true labels and the probabilities come from predictions.csv, the
thresholds from metrics.json; the decisions are probability >= threshold in float32, as the
predictors decide. Prints one JSON object: how many values were compared and those that differ
by more than 1e-9 (each with CnnClassify's value and scikit-learn's).
"""
import csv
import json
import sys
import warnings

import numpy as np
from sklearn import metrics

warnings.filterwarnings("ignore")
folder = sys.argv[1]
report = json.load(open(f"{folder}/metrics.json"))
with open(f"{folder}/predictions.csv", newline="") as f:
    rows = list(csv.reader(f))
header, rows = rows[0], rows[1:]
names = [column[2:] for column in header[4:]]
scores = np.array([[float(v) for v in row[4:]] for row in rows], dtype=np.float64)
truth = np.array([[name in row[2].split(";") for name in names] for row in rows], dtype=int)
thresholds = np.array([report["per_label"][name]["threshold"] for name in names])
decided = (scores.astype(np.float32) >= thresholds).astype(int)

compared = {}


def compare(key, ours, theirs):
    compared[key] = (ours, theirs)


both_classes = [i for i in range(len(names)) if 0 < truth[:, i].sum() < len(truth)]
compare("predicted label sets", [row[3] for row in rows], [";".join(n for n, d in zip(names, row) if d) for row in decided])
compare("mean_average_precision", report["mean_average_precision"], metrics.average_precision_score(truth, scores, average="macro"))
if len(both_classes) == len(names):
    compare("macro_roc_auc", report["macro_roc_auc"], metrics.roc_auc_score(truth, scores, average="macro"))
compare("subset_accuracy", report["subset_accuracy"], metrics.accuracy_score(truth, decided))
compare("hamming_loss", report["hamming_loss"], metrics.hamming_loss(truth, decided))
for average in ["micro", "macro", "weighted", "samples"]:
    p, r, f, _ = metrics.precision_recall_fscore_support(truth, decided, average=average, zero_division=0)
    compare(f"{average}.precision", report[average]["precision"], p)
    compare(f"{average}.recall", report[average]["recall"], r)
    compare(f"{average}.f1", report[average]["f1"], f)
p, r, f, s = metrics.precision_recall_fscore_support(truth, decided, average=None, zero_division=0)
ap = metrics.average_precision_score(truth, scores, average=None)
matrices = metrics.multilabel_confusion_matrix(truth, decided)
for i, name in enumerate(names):
    label = report["per_label"][name]
    for key, value in [("precision", p[i]), ("recall", r[i]), ("f1", f[i]), ("support", s[i]), ("average_precision", ap[i])]:
        compare(f"{name}.{key}", label[key], value)
    if i in both_classes:
        compare(f"{name}.roc_auc", label["roc_auc"], metrics.roc_auc_score(truth[:, i], scores[:, i]))
    compare(f"{name}.confusion_matrix", label["confusion_matrix"], matrices[i].tolist())


def differs(ours, theirs):
    if isinstance(ours, list) and ours and isinstance(ours[0], str):
        return ours != theirs
    return bool((np.abs(np.array(ours, dtype=float) - np.array(theirs, dtype=float)) > 1e-9).any())


print(json.dumps({
    "compared": len(compared),
    "different": {key: [str(ours)[:200], str(theirs)[:200]] for key, (ours, theirs) in compared.items() if differs(ours, theirs)},
}))
