"""CatVAE / InfoCatVAE metrics of a trained model; writes nothing.

Clusters are argmax q(c|x); labels only score them (Hungarian accuracy, NMI, ARI): nothing here selects a model.
The independent judge (evaluation/judge.py) scores decoded samples of each prior mode against the mode's class, the
majority training label of the training images the encoder puts in that mode (:func:`judged_prior_samples`).
"""
from __future__ import annotations

import numpy as np
import torch

from models.catvae import CatVAE
from utils.metrics import clustering_metrics, majority_labels


def evaluate(model: CatVAE, x: torch.Tensor, y: torch.Tensor, *, batch_size: int = 1000,
             generated_per_cluster: int = 100) -> dict:
    """Clustering of argmax q(c|x) against the labels, test ELBO terms, occupancy, the generated-image check."""
    probs = model.cluster_probs(x, batch_size)
    clusters = probs.argmax(1).numpy()
    labels = y.cpu().numpy()
    scores = clustering_metrics(labels, clusters)
    k = model.n_clusters
    counts = np.bincount(clusters, minlength=k)
    marginal = probs.mean(0)
    with torch.inference_mode():
        was_training = model.training
        model.eval()
        info, hit = model.info_term(generated_per_cluster)
        model.train(was_training)
    return {
        "clustering_accuracy": scores["hungarian_accuracy"],
        "majority_accuracy": scores["majority_accuracy"],
        "nmi": scores["nmi"], "ari": scores["ari"],
        "test_elbo": model.test_elbo(x, batch_size),
        "occupancy": {
            "counts": counts.tolist(),
            "fractions": (counts / max(len(clusters), 1)).tolist(),
            "clusters_used": int((counts > 0).sum()),
            "mean_q": marginal.tolist(),
            "entropy_of_mean_q_nats": float(-(marginal * marginal.clamp_min(1e-12).log()).sum()),
            "mean_max_q": float(probs.max(1).values.mean()),
            # names each cluster by its majority TEST label, for the figures' row titles only: no prediction,
            # no score and no cluster depends on it (tests/test_leaks.py)
            "majority_label": majority_labels(labels, clusters, k).tolist(),
        },
        # label-free: are images generated from mode c classified back to c? (the info term at eval time)
        "generated": {"nll": float(info), "accuracy": float(hit), "per_cluster": generated_per_cluster},
    }


def prior_samples(model: CatVAE, modes, n: int, seed: int = 0, fitted: dict | None = None) -> torch.Tensor:
    """Decoded samples (the decoder's mean) of z ~ N(mu_c, I), ``n`` per prior mode c of ``modes`` in that order, all
    from one generator seeded with ``seed``: (len(modes), n, 1, 28, 28) on the CPU. The figure samples_by_cluster
    draws its rows with it. With ``fitted`` (:func:`fit_modes`) z ~ N(mean_c, cov_c), the Gaussian that the training
    codes of mode c fill, instead of the prior's."""
    gen = torch.Generator().manual_seed(seed)
    mu = model.prior_mu.cpu()
    out = []
    for c in modes:
        eps = torch.randn(n, model.latent_dim, generator=gen)
        z = mu[c] + eps if fitted is None else fitted["mean"][c] + eps @ fitted["chol"][c].T
        out.append(model.decode(z, torch.full((n,), c)))
    return torch.stack(out)


def fit_modes(model: CatVAE, x: torch.Tensor, batch_size: int = 1000) -> dict:
    """Label-free: for every mode c, the mean and covariance (its Cholesky factor) of the encoder's means mu_c(x)
    over the images ``x`` (the training images) that argmax q(c|x) puts in c; the prior's N(mu_c, I) for a mode that
    gets fewer images than latent dimensions. Sampling these instead of the prior skips the parts of a prior mode
    that no training image's code reaches (the decoder never learned them)."""
    def fn(b):
        logits, mu, _ = model.encode(b)
        c = logits.argmax(1)
        return c.cpu(), mu[c, torch.arange(len(b), device=mu.device)].float().cpu()

    with torch.inference_mode():
        parts = model._batched(fn, x, batch_size)          # in eval mode
    clusters, codes = torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])
    d, mean, chol = model.latent_dim, [], []
    for c in range(model.n_clusters):
        mine = codes[clusters == c].double()
        if len(mine) <= d:
            mean.append(model.prior_mu[c].cpu().float())
            chol.append(torch.eye(d))
            continue
        cov = torch.cov(mine.T) + 1e-6 * torch.eye(d, dtype=torch.float64)
        mean.append(mine.mean(0).float())
        chol.append(torch.linalg.cholesky(cov).float())
    return {"mean": torch.stack(mean), "chol": torch.stack(chol)}


def mode_classes(model: CatVAE, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1000) -> list[int]:
    """Each prior mode's class: the majority label of the images ``x`` (the training images) that argmax q(c|x) puts
    in it; -1 for a mode that gets none of them."""
    clusters = model.cluster_probs(x, batch_size).argmax(1).numpy()
    majority = majority_labels(y.cpu().numpy(), clusters, model.n_clusters)
    counts = np.bincount(clusters, minlength=model.n_clusters)
    return np.where(counts > 0, majority, -1).tolist()


def judged_prior_samples(model: CatVAE, judge, classes, n: int, seed: int = 0, fitted: dict | None = None) -> dict:
    """The judge's classes of ``n`` prior samples per mode (:func:`prior_samples`): the fractions judged as their
    mode's class (``classes``, one per mode; -1 is never matched), overall, per mode and the smallest; and, label-free,
    the mean share of a mode's samples in the class the judge gives most of them (how consistent each mode is). With
    ``fitted`` the samples come from the modes' fitted Gaussians and the keys read judged_fitted_samples_*."""
    k = model.n_clusters
    judged = judge.predict(prior_samples(model, range(k), n, seed, fitted)).view(k, n)
    per_mode = (judged == torch.as_tensor(classes).view(k, 1)).double().mean(1)
    consistency = [float(row.bincount().max()) / n for row in judged]
    key = "judged_prior_samples" if fitted is None else "judged_fitted_samples"
    return {f"{key}_mode_class": float(per_mode.mean()),
            f"{key}_per_mode": per_mode.tolist(),
            f"{key}_min_mode": float(per_mode.min()),
            f"{key}_consistency": float(np.mean(consistency))}
