"""ML-VAE metrics of a trained model: probes of the style and class codes under each grouping, and the judge's
verdict on swapped images; writes nothing.

No test label ever decides a code unless the metric's name says LEAKS_LABELS (the reference's "with evidence"
grouped test images by their true labels).
"""
from __future__ import annotations

import numpy as np
import torch

from models.judge import Judge
from models.kmeans import assign, kmeans
from models.mlvae import MLVAE, accumulate_group_evidence, group_index, split_groups
from utils.errors import UserError
from utils.metrics import clustering_metrics, linear_probe


def chunk_groups(keys: torch.Tensor, group_size: int, seed: int) -> torch.Tensor:
    """Evaluation groups: :func:`split_groups` with a seeded shuffle. Keys may be label-free (k-means
    clusters, all zeros for purely random groups) or the true labels (which leaks them)."""
    return split_groups(keys.cpu(), group_size, torch.Generator().manual_seed(seed))[0]


def grouped_class_codes(codes: dict, groups: torch.Tensor) -> torch.Tensor:
    """Every image's class code replaced by the accumulated mean of its group."""
    ids, n = group_index(groups)
    g_mu, _ = accumulate_group_evidence(codes["class_mu"], codes["class_logvar"], ids, n)
    return g_mu[ids]


GROUPINGS = {
    "none": "single image (no accumulation)",
    "kmeans": "k-means (K=10) clusters of the single-image class codes, label-free",
    "random": "random groups, label-free",
    "true_label": "same TRUE label (LEAKS LABELS; the reference's 'with evidence')",
}


def evaluate_codes(train: dict, ytr: torch.Tensor, test: dict, yte: torch.Tensor, *, group_size: int,
                   seed: int) -> dict:
    """Linear probes on style and class codes (means), with each grouping of :data:`GROUPINGS`.

    Train codes are grouped the same way as test codes before the probe is fitted. k-means runs on the
    training set's class means; test images join the nearest training centroid. Groups hold at most
    ``group_size`` images (about one minibatch's class group at batch 256), drawn at random within a key.
    """
    style_train, style_test = linear_probe(train["style_mu"], ytr, test["style_mu"], yte)
    centroids, train_clusters, _, _ = kmeans(train["class_mu"], min(10, len(ytr)), seed=seed, max_iter=300)
    test_clusters = assign(test["class_mu"], centroids)[0]
    keys = {
        "kmeans": (train_clusters.cpu(), test_clusters.cpu()),
        "random": (torch.zeros_like(ytr), torch.zeros_like(yte)),
        "true_label": (ytr, yte),
    }
    rows = []
    for name, label in GROUPINGS.items():
        if name == "none":
            ctr, cte = train["class_mu"], test["class_mu"]
        else:
            ktr, kte = keys[name]
            ctr = grouped_class_codes(train, chunk_groups(ktr, group_size, seed))
            cte = grouped_class_codes(test, chunk_groups(kte, group_size, seed + 1))
        class_train, class_test = linear_probe(ctr, ytr, cte, yte)
        rows.append({"evidence": name, "description": label, "style_train": style_train, "style_test": style_test,
                     "class_train": class_train, "class_test": class_test})
    by = {r["evidence"]: r for r in rows}
    return {
        "class_probe_test_accuracy_single_image": by["none"]["class_test"],
        "class_probe_train_accuracy_single_image": by["none"]["class_train"],
        "style_probe_test_accuracy": style_test,
        "style_probe_train_accuracy": style_train,
        "class_probe_test_accuracy_kmeans_groups": by["kmeans"]["class_test"],
        "class_probe_test_accuracy_random_groups": by["random"]["class_test"],
        "class_probe_test_accuracy_grouped_by_true_label_LEAKS_LABELS": by["true_label"]["class_test"],
        "kmeans_on_class_codes_test": clustering_metrics(yte.numpy(), test_clusters.cpu().numpy()),
        "eval_group_size": group_size,
        "table": rows,
    }


def class_exemplars(y: torch.Tensor, per_class: int, seed: int) -> list[list[int]]:
    """For each class, ``per_class`` random test indices (the first is the figure's exemplar)."""
    rng = np.random.default_rng(seed)
    out = []
    for c in range(10):
        members = np.flatnonzero(y.numpy() == c)
        if len(members) == 0:
            raise UserError(f"the test set has no image of class {c}; use a larger --test_limit")
        out.append([int(i) for i in rng.choice(members, size=min(per_class, len(members)), replace=False)])
    return out


def swap_grid(model: MLVAE, codes: dict, rows: list[int], column_groups: list[list[int]]) -> torch.Tensor:
    """Cell (r, c) = decode(style mean of image rows[r], class code accumulated over column_groups[c]).

    A column group of one image is that image's own class mean (no evidence). Returns (R, C, 1, 28, 28).
    """
    flat = torch.tensor([i for g in column_groups for i in g])
    owner = torch.tensor([k for k, g in enumerate(column_groups) for _ in g])
    col_mu, _ = accumulate_group_evidence(codes["class_mu"][flat], codes["class_logvar"][flat], owner,
                                          len(column_groups))
    n_r, n_c = len(rows), len(column_groups)
    style = codes["style_mu"][torch.tensor(rows)].repeat_interleave(n_c, 0)
    content = col_mu.repeat(n_r, 1)
    return model.decode(style, content).view(n_r, n_c, 1, 28, 28)


def swap_scores(model: MLVAE, judge: Judge, codes: dict, y: torch.Tensor, *, pairs: int, evidence: int,
                seed: int) -> dict:
    """Judge's verdict on decode(style of a, class code of b) over random test pairs (a, b), a != b.

    ``swap_class_kept``: classified as b's class (the class code wins); ``..._different_class_pairs`` only
    counts pairs of different classes, where ``swap_style_class_leak`` is the fraction classified as a's
    class instead (class information carried by the style code). ``swap_class_kept_with_evidence_LEAKS_LABELS``
    accumulates b's class code over b and ``evidence - 1`` other test images of b's TRUE class (the paper's swap with
    a group the user supplies): the test labels form its input, so it is context, never a result or a verdict.
    """
    rng = np.random.default_rng(seed)
    n = len(y)
    a = rng.integers(0, n, size=pairs)
    b = (a + rng.integers(1, n, size=pairs)) % n  # b != a
    yn = y.numpy()
    style = codes["style_mu"][a]
    single = model.decode(style, codes["class_mu"][b])
    pred = judge.predict(single).numpy()
    diff = yn[a] != yn[b]
    # evidence groups: b plus random other members of b's TRUE class (the test labels form this input)
    members = [np.flatnonzero(yn == c) for c in range(int(yn.max()) + 1)]
    flat, owner = [], []
    for k, j in enumerate(b):
        others = members[yn[j]][members[yn[j]] != j]
        extra = rng.choice(others, size=min(evidence - 1, len(others)), replace=False) if evidence > 1 else []
        flat += [int(j), *map(int, extra)]
        owner += [k] * (1 + len(extra))
    g_mu, _ = accumulate_group_evidence(codes["class_mu"][flat], codes["class_logvar"][flat], torch.tensor(owner),
                                        pairs)
    pred_ev = judge.predict(model.decode(style, g_mu)).numpy()
    return {
        "swap_class_kept": float((pred == yn[b]).mean()),
        "swap_class_kept_different_class_pairs": float((pred == yn[b])[diff].mean()) if diff.any() else float("nan"),
        "swap_style_class_leak": float((pred == yn[a])[diff].mean()) if diff.any() else float("nan"),
        "swap_class_kept_with_evidence_LEAKS_LABELS": float((pred_ev == yn[b]).mean()),
        "swap_evidence_images": evidence,
        "swap_pairs": pairs,
    }
