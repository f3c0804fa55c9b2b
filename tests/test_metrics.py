import numpy as np
import pytest

from utils.metrics import clustering_metrics, hungarian_accuracy, majority_accuracy, majority_labels


def test_perfect_clustering_under_any_permutation():
    y = np.repeat(np.arange(10), 7)
    perm = np.random.default_rng(0).permutation(10)
    m = clustering_metrics(y, perm[y])
    assert m["hungarian_accuracy"] == 1.0 and m["majority_accuracy"] == 1.0
    assert m["nmi"] == pytest.approx(1.0) and m["ari"] == pytest.approx(1.0)


def test_hungarian_closed_case():
    # clusters: 0 -> {a,a,b}, 1 -> {b,b,a}; best one-to-one: 0->a, 1->b, 4 of 6 right
    y = np.array([0, 0, 1, 1, 1, 0])
    c = np.array([0, 0, 0, 1, 1, 1])
    assert hungarian_accuracy(y, c) == pytest.approx(4 / 6)


def test_hungarian_is_one_to_one_but_majority_is_many_to_one():
    # three clusters that all hold class 0: majority gives 1.0, one-to-one only one cluster can be class 0
    y = np.zeros(6, dtype=int)
    c = np.array([0, 0, 1, 1, 2, 2])
    assert majority_accuracy(y, c) == 1.0
    assert hungarian_accuracy(y, c) == pytest.approx(2 / 6)


def test_majority_labels_ties_and_empty_clusters():
    y = np.array([3, 1, 1, 3])
    c = np.array([0, 0, 0, 0])
    labels = majority_labels(y, c, n_clusters=3)
    assert labels.tolist() == [1, 0, 0]  # tie between 1 and 3 -> smallest; empty clusters -> 0


def test_mismatched_lengths_raise():
    with pytest.raises(ValueError):
        hungarian_accuracy(np.zeros(3, int), np.zeros(4, int))
