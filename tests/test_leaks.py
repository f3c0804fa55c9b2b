"""Leak guards: the evaluation labels handed to each family's evaluation only SCORE its predictions.

One check, :func:`assert_labels_only_score`, runs an evaluation twice, with the test labels and with a shuffled copy
of them (same class counts, most labels moved): no prediction, cluster or code may change, and some score must (else
the check would prove nothing). Metrics whose INPUT is built from the test labels are listed in :data:`LEAKS_LABELS`
with the reason; their keys must carry ``LEAKS_LABELS`` and they get no verdict in REPORT.md. Everything runs on
tiny synthetic tensors and tiny real models (a few seconds in all).
"""
from __future__ import annotations

import fnmatch
from functools import lru_cache

import numpy as np
import pytest
import torch

from evaluation import aae as ev_aae
from evaluation import catvae as ev_catvae
from evaluation import mlvae as ev_mlvae
from evaluation import seq as ev_seq
from models.aae import AAE, HEAD_NAMES
from models.catvae import CatVAE
from models.kmeans import KMeansQuantizer
from utils.metrics import clustering_metrics

# --------------------------------------------------------------------------------------------- what may read labels
# Metrics (the part of a key path after "metrics.", as fnmatch patterns) that the evaluation labels only SCORE: label-
# free predictions or clusters compared with the labels. Each must move when the labels are shuffled, nothing else may.
SCORED = {
    "quantizer.*.test_accuracy": "SEQ: nearest-centroid predictions (centroids and their labels from training data)",
    "quantizer.*.test_accuracy_soft_vote": "SEQ: soft-vote predictions (centroids, their training label shares)",
    "quantizer.*.nmi": "SEQ: label-free test clusters against the test labels",
    "quantizer.*.ari": "SEQ: label-free test clusters against the test labels",
    "test_error": "AAE: predictions() (q(y|x), training-labelled clusters, nearest mixture centre) vs the labels",
    "test_accuracy": "AAE: 1 - test_error",
    "test_error_majority_train_labels": "AAE: clusters named by their majority TRAINING label, vs the test labels",
    "hungarian_accuracy": "AAE: label-free clusters; the one-to-one matching is part of the score (an upper bound)",
    "nmi": "AAE / CatVAE: label-free clusters against the labels",
    "ari": "AAE / CatVAE: label-free clusters against the labels",
    "style_probe_test_accuracy": "AAE / ML-VAE: a probe fitted on TRAINING codes and labels, scored on test codes",
    "clustering_accuracy": "CatVAE: Hungarian accuracy of argmax q(c|x); the matching is part of the score",
    "majority_accuracy": "CatVAE: purity of argmax q(c|x) (each cluster's majority label, on the labels it scores)",
    "occupancy.majority_label": "CatVAE: names each cluster for the figures' row titles; no cluster, prediction or "
                                "score depends on it",
    "class_probe_test_accuracy_*": "ML-VAE: probes fitted on TRAINING codes and labels, scored on test codes (the one "
                                   "whose test codes are grouped by true label is listed in LEAKS_LABELS)",
    "kmeans_on_class_codes_test.*": "ML-VAE: label-free k-means clusters of test class codes against the labels",
    "table.*.style_test": "ML-VAE: the probes' test scores again, one row per grouping",
    "table.*.class_test": "ML-VAE: the probes' test scores again, one row per grouping",
    "swap_class_kept": "ML-VAE: the judge's class of label-free swaps vs b's label",
    "swap_class_kept_different_class_pairs": "ML-VAE: the same, on the pairs whose labels differ",
    "swap_style_class_leak": "ML-VAE: the judge's class of label-free swaps vs a's label",
    "swap_class_kept_with_evidence_LEAKS_LABELS": "ML-VAE: scores the swaps with evidence (a leak: LEAKS_LABELS)",
}

# Metrics whose INPUT the evaluation labels form, without the _LEAKS_LABELS suffix that their key must carry: the
# family that makes them, the prediction that shows the leak (it moves when the labels are shuffled), and why.
LEAKS_LABELS = {
    "class_probe_test_accuracy_grouped_by_true_label": (
        "mlvae_probes", "probe.true_label.pred",
        "each test class code is replaced by the mean over a group of test images with the same TRUE label before "
        "the probe sees it (the reference's 'with evidence')"),
    "swap_class_kept_with_evidence": (
        "mlvae_swaps", "judge.with_evidence",
        "b's class code is accumulated over b and other test images of b's TRUE class (a group chosen by the labels)"),
}

# Metrics that read the labels as an INPUT by the model's definition, kept under their name (no label is predicted
# from them and they have no reference, hence no verdict); anything added here needs the same argument.
LABEL_INPUT_BY_DESIGN = {
    ("aae:supervised", "test_recon_mse"): (
        "the supervised AAE's decoder p(x | y, z) is conditioned on the true label: its reconstruction is measured "
        "given the test labels; it scores pixels, predicts no label and has no reference value (no verdict)"),
}

TIMING = ("*seconds*",)   # wall-clock times differ between two runs of the same thing


# --------------------------------------------------------------------------------------------- the one check
def _matches(key: str, patterns) -> bool:
    return any(fnmatch.fnmatchcase(key, p) for p in patterns)


def flat(obj, prefix: str = "") -> dict:
    """Nested dicts (and lists of dicts) -> {"a.b.0.c": numpy array}."""
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, (list, tuple)) and obj and all(isinstance(v, dict) for v in obj):
        items = enumerate(obj)
    else:
        return {prefix: np.asarray(obj.detach().cpu() if torch.is_tensor(obj) else obj)}
    out = {}
    for k, v in items:
        out.update(flat(v, f"{prefix}.{k}" if prefix else str(k)))
    return out


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    if a.shape != b.shape:
        return False
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc" and b.dtype.kind in "fc"))


def shuffled(labels: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """The same labels in another order: each class keeps its count, most images get another label."""
    out = labels[torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))]
    assert (out != labels).float().mean() > 0.5
    return out


@lru_cache(maxsize=None)  # each family runs once for the per-family tests and the key walk (clear it after patching)
def label_dependence(run, labels: torch.Tensor) -> tuple[frozenset, dict]:
    """Run ``run(labels)`` and ``run(shuffled labels)``; the outputs (flattened) that changed, and the first run's."""
    first, second = flat(run(labels)), flat(run(shuffled(labels)))
    assert first.keys() == second.keys()
    return frozenset(k for k in first if not _matches(k, TIMING) and not _same(first[k], second[k])), first


def assert_labels_only_score(run, labels: torch.Tensor, *, scores, leaks=()) -> set:
    """THE leak check. ``run(labels)`` evaluates with the evaluation labels ``labels`` and returns everything it
    made (predictions, clusters, codes, metrics under "metrics."). Shuffling the labels may change the outputs that
    match ``scores`` (the labels score them) and must change each output in ``leaks`` (known leaks, listed above);
    nothing else may change, and at least one score must. Returns the changed outputs."""
    changed, _ = label_dependence(run, labels)
    moved = {k for k in changed if not _matches(k, scores)}
    assert moved <= set(leaks), f"shuffling the evaluation labels changed a prediction: {sorted(moved - set(leaks))}"
    assert moved >= set(leaks), f"a listed leak did not move (update LEAKS_LABELS): {sorted(set(leaks) - moved)}"
    assert changed - moved, "no score moved when the labels were shuffled: this check would prove nothing here"
    return changed


METRIC_SCORES = ["metrics." + p for p in SCORED]


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny tensors: one thread is many times faster than several on a busy CPU (and the same numbers each time)."""
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(before)


def test_the_check_catches_a_prediction_made_from_the_labels():
    x = torch.arange(40) % 4
    clean = lambda y: {"pred": x, "metrics": {"test_accuracy": float((x == y).float().mean())}}  # noqa: E731
    leaky = lambda y: {"pred": y, "metrics": {"test_accuracy": 1.0}}                            # noqa: E731
    deaf = lambda y: {"pred": x, "metrics": {"test_accuracy": 0.5}}                             # noqa: E731
    assert assert_labels_only_score(clean, x, scores=METRIC_SCORES) == {"metrics.test_accuracy"}
    with pytest.raises(AssertionError, match="changed a prediction"):
        assert_labels_only_score(leaky, x, scores=METRIC_SCORES)
    with pytest.raises(AssertionError, match="no score moved"):
        assert_labels_only_score(deaf, x, scores=METRIC_SCORES)
    with pytest.raises(AssertionError, match="did not move"):
        assert_labels_only_score(clean, x, scores=METRIC_SCORES, leaks=["pred"])


# --------------------------------------------------------------------------------------------- tiny data
def _blobs(n: int, classes: int, dim: int, seed: int, spread: float = 3.0):
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(classes, dim, generator=torch.Generator().manual_seed(99)) * spread
    y = torch.arange(n) % classes
    return centres[y] + torch.randn(n, dim, generator=g), y


def _images(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 10
    x = torch.rand(n, 1, 28, 28, generator=g) * 0.3
    for c in range(10):
        x[y == c, :, 2 + 2 * c: 5 + 2 * c, 4:24] = 1.0                # a class-specific bar, as in conftest
    return x, y


YTR4, YTE4 = torch.arange(160) % 4, torch.arange(80) % 4
SEQ_TR, SEQ_YTR = _blobs(60, 4, 6, seed=6, spread=0.7)     # overlapping classes and more test than training images:
SEQ_TE, SEQ_YTE = _blobs(120, 4, 6, seed=7, spread=0.7)    # a test label that took part in a vote would swing it
XTR, YTR = _images(120, seed=2)
XTE, YTE = _images(60, seed=3)


# --------------------------------------------------------------------------------------------- each family
def run_seq(labels):
    rows, states = ev_seq.quantizer_sweep(SEQ_TR, SEQ_YTR, SEQ_TE, labels, [4, 8], seed=0, max_iter=50, tol=1e-4,
                                          progress=False)
    out = {"metrics": {"quantizer": rows}, "states": {str(k): s for k, s in states.items()}, "pred": {}}
    for row in rows:
        pred = KMeansQuantizer.from_state(states[row["k"]]).predict(SEQ_TE).cpu().numpy()
        assert row["test_accuracy"] == float((pred == labels.numpy()).mean()), "the score is not of these predictions"
        out["pred"][str(row["k"])] = pred
    return out


AAE_SIZES = {"supervised": (10, 4), "semi_supervised": (10, 4), "regularize_z": (10, 2), "clustering": (6, 4),
             "dim_reduction": (6, 2), "semi_dim_reduction": (10, 2), "projection": (10, 10)}


@lru_cache(maxsize=None)
def _aae(head: str) -> AAE:
    n_y, z_dim = AAE_SIZES[head]
    with torch.random.fork_rng():                    # leaves the global generator as it was, for the other tests
        torch.manual_seed(4)   # every head's untrained predictions spread over several classes (entropy >= 0.76)
        return AAE(head, n_y=n_y, z_dim=z_dim, hidden=16, init_std=0.3)


def run_aae(head: str):
    def run(labels):
        model = _aae(head)
        metrics, te = ev_aae.evaluate(model, XTR, YTR, XTE, labels, batch_size=50)
        tr = model.codes(XTR, 50)
        pred = ev_aae.predictions(model, te, tr, YTR)
        for key in ("test_error", "test_error_majority_train_labels"):
            if key in pred:
                assert metrics[key] == float((pred[key] != labels.numpy()).mean()), f"{key} is not of predictions()"
        return {"metrics": metrics, "pred": pred, "codes": te}
    return run


def run_catvae(labels):
    with torch.random.fork_rng():            # leaves the global generator as it was, for the other tests
        torch.manual_seed(0)
        model = CatVAE("infocatvae", n_clusters=10, hidden=16)
        torch.manual_seed(1)                  # the Monte-Carlo ELBO and the generated images
        metrics = ev_catvae.evaluate(model, XTE, labels, batch_size=50, generated_per_cluster=5)
    clusters = model.cluster_probs(XTE, 50).argmax(1).numpy()
    scores = clustering_metrics(labels.numpy(), clusters)
    assert metrics["clustering_accuracy"] == scores["hungarian_accuracy"], "not the score of argmax q(c|x)"
    assert all(metrics[k] == scores[k] for k in ("majority_accuracy", "nmi", "ari")), "not the scores of argmax q(c|x)"
    assert metrics["occupancy"]["counts"] == np.bincount(clusters, minlength=10).tolist(), "not argmax q(c|x)'s counts"
    return {"metrics": metrics, "clusters": clusters}


def _codes(y: torch.Tensor, seed: int) -> dict:
    g = torch.Generator().manual_seed(seed)
    class_mu = 3 * torch.nn.functional.one_hot(y, 4).float() + torch.randn(len(y), 4, generator=g)
    return {"style_mu": torch.randn(len(y), 3, generator=g), "class_mu": class_mu,
            "class_logvar": torch.randn(len(y), 4, generator=g) * 0.3}


CODES_TR, CODES_TE = _codes(YTR4, 4), _codes(YTE4, 5)


def run_mlvae_probes(labels):
    """evaluate_codes, with every probe it fits recorded: the probe's test predictions, from a fit on the training
    codes and labels handed to it."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    evaluate_codes = ev_mlvae.evaluate_codes
    real, calls = evaluate_codes.__globals__["linear_probe"], []

    def probe(ftr, ytr, fte, yte, max_iter=1000):
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=max_iter)).fit(ftr.numpy(), ytr.numpy())
        pred = clf.predict(fte.numpy())
        calls.append(pred)
        train_acc, test_acc = real(ftr, ytr, fte, yte, max_iter)
        assert test_acc == pytest.approx(float((pred == yte.numpy()).mean())), "the score is not of this probe"
        return train_acc, test_acc

    with pytest.MonkeyPatch.context() as mp:       # in the module evaluate_codes reads it from
        mp.setitem(evaluate_codes.__globals__, "linear_probe", probe)
        metrics = evaluate_codes(CODES_TR, YTR4, CODES_TE, labels, group_size=5, seed=0)
    names = ["style", *ev_mlvae.GROUPINGS]
    assert len(calls) == len(names), f"expected one probe per {names}, got {len(calls)}"
    return {"metrics": metrics, "probe": {n: {"pred": p} for n, p in zip(names, calls)}}


class _Decoder:
    """The ML-VAE's decode(style, class code) interface: the image IS the class code (and the style after it)."""

    def decode(self, style, content):
        return torch.cat([content, 0.01 * style], 1)


class _Judge:
    """The judge's predict(images) interface: the largest of the first 4 entries; records every verdict."""

    def __init__(self):
        self.calls = []

    def predict(self, images):
        pred = images[:, :4].argmax(1)
        self.calls.append(pred.numpy())
        return pred


def run_mlvae_swaps(labels):
    judge = _Judge()
    metrics = ev_mlvae.swap_scores(_Decoder(), judge, CODES_TE, labels, pairs=200, evidence=5, seed=0)
    assert len(judge.calls) == 2, "expected the judge's verdicts on the single swaps, then with evidence"
    return {"metrics": metrics, "judge": {"single": judge.calls[0], "with_evidence": judge.calls[1]}}


# family -> (run, the evaluation labels it is handed); the CatVAE's 3 classes are fewer than the clusters it uses, so
# its purity and Hungarian accuracy differ
FAMILIES = {"seq": (run_seq, SEQ_YTE), "catvae": (run_catvae, YTE % 3), "mlvae_probes": (run_mlvae_probes, YTE4),
            "mlvae_swaps": (run_mlvae_swaps, YTE4), **{f"aae:{h}": (run_aae(h), YTE) for h in HEAD_NAMES}}


def _leaks(family: str) -> list[str]:
    return ([shows for fam, shows, _ in LEAKS_LABELS.values() if fam == family]
            + ["metrics." + key for fam, key in LABEL_INPUT_BY_DESIGN if fam == family])


def check_family(family: str) -> set:
    run, labels = FAMILIES[family]
    return assert_labels_only_score(run, labels, scores=METRIC_SCORES, leaks=_leaks(family))


def test_seq_quantizer_labels_its_clusters_from_training_data_only():
    changed = check_family("seq")
    assert not any(k.startswith(("states.", "pred.")) for k in changed)


@pytest.mark.parametrize("head", HEAD_NAMES)
def test_aae_predictions_and_cluster_labels_read_no_test_label(head):
    changed = check_family(f"aae:{head}")
    assert not any(k.startswith(("pred.", "codes.")) for k in changed)


def test_catvae_clusters_are_label_free_and_majority_label_names_only():
    changed = check_family("catvae")
    assert "clusters" not in changed and "metrics.occupancy.counts" not in changed


def test_mlvae_probes_read_test_labels_only_in_the_true_label_grouping():
    changed = check_family("mlvae_probes")
    assert {k for k in changed if k.startswith("probe.")} == {"probe.true_label.pred"}


def test_mlvae_swaps_read_test_labels_only_with_evidence():
    changed = check_family("mlvae_swaps")
    assert {k for k in changed if k.startswith("judge.")} == {"judge.with_evidence"}


# --------------------------------------------------------------------------------------------- the names
def test_every_metric_built_from_test_labels_says_so_and_gets_no_verdict():
    from reporting.references import Reference
    from reporting.report import judge

    produced, moved = {}, {}
    for family, (run, labels) in FAMILIES.items():
        changed, outputs = label_dependence(run, labels)
        produced[family] = {k[len("metrics."):] for k in outputs if k.startswith("metrics.")}
        moved[family] = changed
        for key in produced[family]:      # a metric that moves is a score, a listed leak or a listed exception
            assert (f"metrics.{key}" not in changed or _matches(key, SCORED)
                    or (family, key) in LABEL_INPUT_BY_DESIGN), f"{family}: {key} reads the labels; classify it above"
    names = {part for keys in produced.values() for k in keys for part in k.split(".")}
    for base, (family, shows, why) in LEAKS_LABELS.items():
        assert f"{base}_LEAKS_LABELS" in produced[family], f"{base} ({why}) must be named {base}_LEAKS_LABELS"
        assert base not in names, f"{base} ({why}) is still written without _LEAKS_LABELS"
        assert shows in moved[family], f"{base}: its label-formed input {shows} did not move; is the list stale?"
        verdict = judge(0.9, 0.0, 1, Reference(0.9), key=f"{base}_LEAKS_LABELS")
        assert not verdict.startswith(("meets", "beats", "short by", "within")), verdict
    marked = {part for part in names if "LEAKS_LABELS" in part}
    assert marked == {f"{base}_LEAKS_LABELS" for base in LEAKS_LABELS}, "a LEAKS_LABELS key missing from the list"
    # the ML-VAE probe table's rows are keyed by grouping (generic keys): the leaky row's description must say so
    run, labels = FAMILIES["mlvae_probes"]
    _, outputs = label_dependence(run, labels)
    rows = {k.split(".")[2] for k, v in outputs.items() if k.endswith(".evidence") and v == "true_label"}
    assert len(rows) == 1 and "LEAKS LABELS" in str(outputs[f"metrics.table.{rows.pop()}.description"])


def test_the_swap_table_reads_the_renamed_key_and_the_old_one(tmp_path):
    import json

    from reporting.tables import mlvae_swaps

    base = {"dataset": "mnist", "subset": False, "swap_class_kept": 0.95, "swap_style_class_leak": 0.01,
            "judge_test_accuracy": 0.98, "judge_accuracy_on_test_reconstructions": 0.96, "seconds": {"total": 60.0},
            "seed": 0, "class_probe_test_accuracy_single_image": 0.97, "style_probe_test_accuracy": 0.2}
    for setting, key, value in [("new", "swap_class_kept_with_evidence_LEAKS_LABELS", 0.991),
                                ("old", "swap_class_kept_with_evidence", 0.992)]:   # written before the rename
        run = tmp_path / "mlvae" / "mnist" / setting
        run.mkdir(parents=True)
        (run / "metrics.json").write_text(json.dumps({**base, "setting": setting, key: value}))
    table = mlvae_swaps(tmp_path)
    assert "LEAKS_LABELS" in table.splitlines()[0]
    rows = {line.split(" | ")[1]: line for line in table.splitlines()[2:]}
    assert rows["new"].endswith("| 98.00 | 99.1 | 1.0 |") and rows["old"].endswith("| 98.00 | 99.2 | 1.0 |")
