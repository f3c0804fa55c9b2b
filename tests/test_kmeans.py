import numpy as np
import pytest
import torch

from models.kmeans import KMeansQuantizer, kmeans, pairwise_sq_dists
from utils.metrics import clustering_metrics


def blobs(n_per=50, k=6, dim=8, seed=0):
    gen = torch.Generator().manual_seed(seed)
    centres = torch.randn(k, dim, generator=gen) * 20
    x = torch.cat([c + torch.randn(n_per, dim, generator=gen) for c in centres])
    y = torch.arange(k).repeat_interleave(n_per)
    return x, y, centres


def test_pairwise_distances_match_direct_computation():
    x, c = torch.randn(7, 3), torch.randn(4, 3)
    direct = ((x[:, None, :] - c[None]) ** 2).sum(-1)
    assert torch.allclose(pairwise_sq_dists(x, c), direct, atol=1e-5)


def test_recovers_well_separated_clusters():
    x, y, centres = blobs()
    cent, labels, inertia, _ = kmeans(x, 6, seed=3)
    assert clustering_metrics(y.numpy(), labels.numpy())["ari"] == 1.0
    # each found centroid sits on one true centre
    d = pairwise_sq_dists(cent, centres).min(1).values
    assert (d < 1.0).all()
    assert inertia < 6 * 50 * 8 * 1.5  # about n * dim for unit-variance blobs


def test_no_empty_cluster_even_with_duplicate_points():
    # 5 distinct points repeated many times, k = 5: Forgy with replacement would leave clusters empty
    x = torch.eye(5).repeat(40, 1)
    _, labels, _, _ = kmeans(x, 5, seed=0)
    assert torch.bincount(labels, minlength=5).min() > 0
    # more clusters than distinct points still gives every cluster a member
    _, labels, _, _ = kmeans(x, 8, seed=0, max_iter=20)
    assert torch.bincount(labels, minlength=8).min() > 0


def test_deterministic_with_a_seed_and_different_across_seeds():
    x = torch.randn(500, 4, generator=torch.Generator().manual_seed(1))
    a = kmeans(x, 12, seed=7)[0]
    b = kmeans(x, 12, seed=7)[0]
    c = kmeans(x, 12, seed=8)[0]
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_iterations_are_bounded():
    x = torch.randn(300, 5, generator=torch.Generator().manual_seed(2))
    assert kmeans(x, 30, seed=0, max_iter=3, tol=0.0)[3] == 3


def test_quantizer_labels_by_majority_and_classifies_by_nearest_centroid():
    x, y, centres = blobs(k=4)
    # two blobs share class 1: K=4 clusters map to classes [0, 1, 1, 2] in some order
    classes = torch.tensor([0, 1, 1, 2])[y]
    q = KMeansQuantizer(4, seed=0).fit(x, classes.numpy())
    assert sorted(q.cluster_labels.tolist()) == [0, 1, 1, 2]
    assert torch.equal(q.predict(centres + 0.1), torch.tensor([0, 1, 1, 2]))
    restored = KMeansQuantizer.from_state(q.state_dict())
    assert torch.equal(restored.predict(x), q.predict(x))
    assert (q.predict(x) == classes).float().mean() == 1.0


def test_restarts_keep_the_run_with_the_lowest_inertia():
    from models.kmeans import _lloyd

    gen = torch.Generator().manual_seed(3)
    x = torch.cat([torch.randn(60, 2, generator=gen) * 0.6 + torch.tensor(c) for c in
                   [(0.0, 0.0), (3.0, 0.0), (0.0, 3.0), (3.0, 3.0), (1.5, 1.5), (6.0, 6.0)]])
    single = [_lloyd(x, 6, torch.Generator().manual_seed(2 * 1_000_003 + r), 100, 1e-6)[2] for r in range(8)]
    assert len(set(round(v, 6) for v in single)) > 1           # the runs differ, so the choice matters
    centroids, labels, inertia, _ = kmeans(x, 6, seed=2, restarts=8, tol=1e-6)
    assert inertia == pytest.approx(min(single))
    assert inertia == pytest.approx(float(((x - centroids[labels]) ** 2).sum()), rel=1e-5)


def test_greedy_seeding_picks_the_candidate_that_lowers_the_potential_most():
    from models.kmeans import kmeans_plus_plus

    x = torch.tensor([[0.0], [0.1], [10.0], [10.1], [20.0]])
    centres = kmeans_plus_plus(x, 3, torch.Generator().manual_seed(0), trials=20)
    assert sorted(round(float(c), 1) // 10 for c in centres.flatten()) == [0, 1, 2]   # one centre per group


def test_soft_vote_reads_the_label_shares_of_near_centroids_and_is_the_nearest_majority_away_from_a_boundary():
    """Two clusters on a line: A at 0 (all class 0), B at 1 (60 % class 1, 40 % class 0). Near the midpoint both
    centroids weigh about equally, so the shares add to class 0 (1 + 0.4 against 0.6) where the nearest centroid
    says 1; a point clearly nearer B gets B's majority, 1."""
    from evaluation.seq import soft_vote

    g = torch.Generator().manual_seed(0)
    a = torch.zeros(100, 2) + 0.05 * torch.rand(100, 2, generator=g)
    b = torch.tensor([1.0, 0.0]) + 0.05 * torch.rand(100, 2, generator=g)
    x = torch.cat([a, b])
    y = np.array([0] * 100 + [1] * 60 + [0] * 40)
    q = KMeansQuantizer(2, seed=0, max_iter=50, tol=1e-8).fit(x, y)
    c = q.centroids
    mid = (c[0] + c[1]) / 2
    near_b = c[int(q.cluster_labels.argmax())] * 0.8 + c[int(q.cluster_labels.argmin())] * 0.2
    points = torch.stack([mid + 1e-4 * (c[int(q.cluster_labels.argmax())] - mid), near_b])
    assert q.predict(points).tolist() == [1, 1]
    assert soft_vote(q, x, y, points).tolist() == [0, 1]
    assert soft_vote(q, x, y, x).tolist() == q.predict(x).tolist()      # every training point is far from the boundary
