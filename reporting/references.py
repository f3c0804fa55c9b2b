"""Numbers reported by the original papers and repositories, with where each one comes from.

Values are fractions in [0, 1]. Every reference value is a :class:`Reference`: its value and spread, its source, and
how far it can be trusted (docs/originals.md): VERIFIED (quoted or read in the paper, a repository file or an issue
thread; DIGITIZED numbers were read off a figure by pixel measurement, about +-0.002) or not (recalled, hearsay), and
whether it was measured the same way as our number (same method and protocol) or is CONTEXT only (another method,
another protocol). results/REPORT.md gives a verdict only for a verified reference measured the same way
(reporting/report.py). The older plain names (SEQ_PAPER, CLUSTERING_PEERS, AAE_PAPER, CATVAE_REFERENCE,
MLVAE_REFERENCE) stay, for their readers (reporting/tables.py, main_encoder.py, main_mlvae.py, figures).
"""
from __future__ import annotations

from dataclasses import dataclass

DIGITIZATION_ERROR = 0.002          # a value read off a figure: good to about +-0.2 points


@dataclass(frozen=True)
class Reference:
    """One reference value (a fraction) and what it is worth. ``note``: why it is unverified, or which other method
    or protocol it comes from (REPORT.md prints it in the verdict of a CONTEXT reference)."""
    value: float
    std: float = 0.0
    source: str = ""
    verified: bool = True           # quoted / read (or digitized); False: recalled or hearsay
    same_protocol: bool = True      # same method and measurement as ours; False: context only
    note: str = ""
    digitized: bool = False         # read off a figure: verified, good to DIGITIZATION_ERROR

    @property
    def status(self) -> str:
        """The word a printed reference carries: "unverified", "digitized" or ""."""
        return "unverified" if not self.verified else "digitized" if self.digitized else ""

    def percent_text(self, digits: int = 2) -> str:
        """``value +- std`` in percent, followed by "(unverified)" / "(digitized)" where that applies (for tables)."""
        text = f"{100 * self.value:.{digits}f}" + (f" +- {100 * self.std:.{digits}f}" if self.std else "")
        return f"{text} ({self.status})" if self.status else text


SEQ_KS = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]

SEQ_PAPER = {
    "source": "SEQ repository images/fig3.jpg, digitized (+-0.2 points)",
    "mnist": {
        "softmax": 0.992,
        "cae4": [.855, .945, .965, .972, .974, .978, .982, .989, .989, .989, .990, .990],
        "lae4": [.851, .939, .961, .968, .969, .972, .974, .978, .978, .978, .979, .979],
        "lae2": [.852, .930, .956, .959, .961, .963, .969, .969, .970, .970, .971, .971],
    },
    "fashion-mnist": {
        "softmax": 0.920,
        "cae4": [.764, .867, .896, .907, .907, .910, .910, .911, .914, .914, .916, .917],
        "lae4": [.728, .817, .825, .837, .845, .852, .859, .862, .865, .869, .872, .876],
        "lae2": [.683, .792, .798, .806, .805, .808, .809, .811, .815, .821, .822, .824],
    },
}

# The figure's values as References: verified by digitization (+-0.2 points), the paper's method and measurement.
# The softmax line is drawn for the CAE-4 encoder only (key k = "softmax").
SEQ_REFERENCES = {
    (ds, arch, k): Reference(v, source=SEQ_PAPER["source"], digitized=True)
    for ds in ("mnist", "fashion-mnist")
    for arch, ks, vs in [("cae4", ["softmax"], [SEQ_PAPER[ds]["softmax"]]),
                         *[(a, SEQ_KS, SEQ_PAPER[ds][a]) for a in ("cae4", "lae4", "lae2")]]
    for k, v in zip(ks, vs)
}

# Unsupervised clustering accuracy (Hungarian) of peer systems, docs/references.md (all read): other methods, so
# context for our CatVAE numbers. {data set: [(method, Reference)]}
_PEER = "another method: "
CLUSTERING_PEER_REFERENCES = {
    "mnist": [
        ("k-means on pixels", Reference(0.53, source="DEC-keras README, Table 1 (mean of 10 trials)",
                                        same_protocol=False, note=_PEER + "k-means on pixels")),
        ("DEC (paper)", Reference(0.84, source="DEC-keras README, column 'paper'", same_protocol=False,
                                  note=_PEER + "DEC")),
        ("DEC (DEC-keras re-implementation)", Reference(0.912, source="DEC-keras results/exp1/results.csv, mean row",
                                                        same_protocol=False, note=_PEER + "DEC")),
        ("GMVAE (Rui Shu, K=10), median of 7 runs",
         Reference(0.831, source="RuiShu/vae-clustering logs: 0.716 to 0.933", same_protocol=False,
                   note=_PEER + "GMVAE")),
        ("VaDE (with the shipped pretrained AE)", Reference(0.9446, source="slim1017/VaDE README", same_protocol=False,
                                                            note=_PEER + "VaDE")),
    ],
    "fashion-mnist": [
        ("k-means on pixels", Reference(0.47, source="DEC-keras README, Table 1", same_protocol=False,
                                        note=_PEER + "k-means on pixels")),
        ("DEC (author's report)", Reference(0.59, source="zalandoresearch/fashion-mnist#96", same_protocol=False,
                                            note=_PEER + "DEC")),
        ("DEC (DEC-keras re-implementation)", Reference(0.618, source="DEC-keras results/exp1/results.csv, mean row",
                                                        same_protocol=False, note=_PEER + "DEC")),
    ],
}
CLUSTERING_PEERS = {ds: [(name, r.value, r.source) for name, r in peers]            # the older (name, acc, source)
                    for ds, peers in CLUSTERING_PEER_REFERENCES.items()}

# AAE test error rates (fractions), docs/originals.md 3.9. Only MNIST(100) is confirmed (quoted in
# musyoku/adversarial-autoencoder#13); the others are recalled from the paper and unverified.
AAE_REFERENCES = {
    ("semi_supervised", "labels-100"): Reference(0.0190, 0.0010, "paper Table 2, quoted in musyoku#13"),
    ("semi_supervised", "labels-1000"): Reference(0.0160, 0.0008, "paper Table 2 (recalled, unverified)",
                                                  verified=False, note="recalled from the paper"),
    ("clustering", "clusters-16"): Reference(0.0955, 0.0225, "paper Table 3 (recalled, unverified)", verified=False,
                                             note="recalled from the paper"),
    ("clustering", "clusters-30"): Reference(0.0410, 0.0113, "paper Table 3 (recalled, unverified)", verified=False,
                                             note="recalled from the paper"),
    ("dim_reduction", "clusters-20"): Reference(0.135, 0.0, "about 13.5 %: a user's recollection of the paper in "
                                                            "musyoku#7 (hearsay; the paper's value was not found)",
                                                verified=False, note="hearsay"),
}
AAE_PAPER = {key: (r.value, r.std, r.source) for key, r in AAE_REFERENCES.items()}   # the older (value, std, source)

# The CatVAE paper's own clustering numbers could not be retrieved (docs/originals.md 2.6): REPORT.md prints the
# strongest peer of CLUSTERING_PEERS per data set as context (another method: no verdict), and the project's targets
# (InfoCatVAE >= 85 % on MNIST, >= 60 % on Fashion-MNIST) are in the README.
_NO_CATVAE = "the CatVAE paper's numbers were not retrievable"
CATVAE_REFERENCES = {
    "mnist": Reference(0.9446, source="VaDE, slim1017/VaDE README (peer; the CatVAE paper's tables were not "
                                      "retrievable)", same_protocol=False, note=f"{_PEER}VaDE; {_NO_CATVAE}"),
    "fashion-mnist": Reference(0.618, source="DEC-keras results/exp1/results.csv (peer; the CatVAE paper's tables "
                                             "were not retrievable)", same_protocol=False,
                               note=f"{_PEER}DEC; {_NO_CATVAE}"),
}
CATVAE_REFERENCE = {ds: (r.value, r.source) for ds, r in CATVAE_REFERENCES.items()}  # the older (value, source)

# What each of our figures corresponds to in the original papers and repositories (they are not copied here).
FIGURE_COUNTERPARTS = {
    "accuracy_vs_clusters.png": "SEQ paper Fig. 3 / repository images/fig3.jpg",
    "centroids_by_class.png": "SEQ paper Fig. 4, top rows (decoded centroids by class); k_values_order.eps",
    "subclass_styles.png": "SEQ paper Fig. 4, bottom panels (members of clusters of one class); all_cluster/*.eps",
    "convex_same_cluster.png": "SEQ paper Fig. 5(a) (similar style); convex.eps",
    "convex_across_clusters.png": "SEQ paper Fig. 5(b) (different styles)",
    "style_transfer.png": "SEQ paper, style transfer between clusters (no figure file in the repository)",
    "samples_by_cluster.png": "InfoCatVAE repository: class-conditional sample grids",
    "interpolation.png": "InfoCatVAE_MNIST_interp.png / InfoCatVAE_inter_centroids.png",
    "lambda_traversal.png": "InfoCatVAE_fashion_lambda.png",
    "latent_pca.png": "(none in the original: a 2-d view of the test codes)",
    "swap_no_evidence.png": "ML-VAE repository images/inference_no_evidence_*.png",
    "swap_with_evidence.png": "ML-VAE repository images/inference_with_evidence_*.png",
    "tsne_class.png": "ML-VAE repository t_sne.py output (class codes)",
    "tsne_style.png": "ML-VAE repository t_sne.py output (style codes)",
    "loss_curves.png": "ML-VAE repository tensorboard loss curves",
    "analogy.png": "AAE paper Fig. 6/7 style (rows: test images, columns: labels)",
    "clusters.png": "AAE paper Fig. 9 / musyoku README cluster images (16 and 32 clusters)",
    "scatter.png": "AAE paper and musyoku README 2-d scatter plots",
    "reconstructions.png": "(none in the original: test images and their reconstructions)",
    "projection_heads.png": "AAE paper, 10-d representation projected to 2-d with the heads on a circle (Sec. 7)",
}

# docs/originals.md 4.6: the reference repository's README table (accuracy %, MLP classifier on SAMPLED codes;
# "with evidence" = accumulated over same-TRUE-label images of the evaluated batch, i.e. it leaks labels).
MLVAE_REFERENCE = {
    "source": "ananyahjha93/multi-level-vae README, 'Classification results on latent spaces' (docs/originals.md 4.6)",
    "rows": [
        {"group_noise_std": 1.0, "evidence": "true labels (leaks labels)", "style_train": .7866, "style_test": .7817,
         "class_train": .8593, "class_test": .8599},
        {"group_noise_std": 1.0, "evidence": "none", "style_train": .7869, "style_test": .7782,
         "class_train": .3326, "class_test": .3308},
        {"group_noise_std": 0.1, "evidence": "true labels (leaks labels)", "style_train": .4461, "style_test": .4206,
         "class_train": .9975, "class_test": .9971},
        {"group_noise_std": 0.1, "evidence": "none", "style_train": .4438, "style_test": .4299,
         "class_train": .3774, "class_test": .3855},
    ],
}

# Its values as References, keyed (group_noise_std, evidence, column): read verbatim, but measured another way (an MLP
# classifier on SAMPLED codes, where REPORT.md's numbers are linear probes on posterior means), so context only.
_MLVAE_PROTOCOL = ("another protocol: the reference's MLP classifier on sampled codes, ours a linear probe on "
                   "posterior means")
MLVAE_REFERENCES = {
    (row["group_noise_std"], row["evidence"], column): Reference(
        row[column], source=MLVAE_REFERENCE["source"], same_protocol=False,
        note=_MLVAE_PROTOCOL + ("; its codes group test images by their true labels" if row["evidence"] != "none"
                                else ""))
    for row in MLVAE_REFERENCE["rows"] for column in ("style_train", "style_test", "class_train", "class_test")
}
