"""Numbers reported by the original papers and repositories, with where each one comes from.

Values are fractions in [0, 1]. ``source`` says how far each can be trusted (see docs/originals.md):
DIGITIZED numbers were read off a figure by pixel measurement (about +-0.002).
"""

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

# Unsupervised clustering accuracy (Hungarian) of peer systems, docs/references.md.
CLUSTERING_PEERS = {
    "mnist": [
        ("k-means on pixels", 0.53, "DEC-keras README, Table 1 (mean of 10 trials)"),
        ("DEC (paper)", 0.84, "DEC-keras README, column 'paper'"),
        ("DEC (DEC-keras re-implementation)", 0.912, "DEC-keras results/exp1/results.csv, mean row"),
        ("GMVAE (Rui Shu, K=10), median of 7 runs", 0.831, "RuiShu/vae-clustering logs: 0.716 to 0.933"),
        ("VaDE (with the shipped pretrained AE)", 0.9446, "slim1017/VaDE README"),
    ],
    "fashion-mnist": [
        ("k-means on pixels", 0.47, "DEC-keras README, Table 1"),
        ("DEC (author's report)", 0.59, "zalandoresearch/fashion-mnist#96"),
        ("DEC (DEC-keras re-implementation)", 0.618, "DEC-keras results/exp1/results.csv, mean row"),
    ],
}

# AAE test error rates (fractions), docs/originals.md 3.9. Only MNIST(100) is confirmed (quoted in
# musyoku/adversarial-autoencoder#13); the others are recalled from the paper and unverified.
AAE_PAPER = {
    ("semi_supervised", "labels-100"): (0.0190, 0.0010, "paper Table 2, quoted in musyoku#13"),
    ("semi_supervised", "labels-1000"): (0.0160, 0.0008, "paper Table 2 (recalled, unverified)"),
    ("clustering", "clusters-16"): (0.0955, 0.0225, "paper Table 3 (recalled, unverified)"),
    ("clustering", "clusters-30"): (0.0410, 0.0113, "paper Table 3 (recalled, unverified)"),
    ("dim_reduction", "clusters-20"): (0.135, 0.0, "about 13.5 %: a user's recollection of the paper in "
                                                   "musyoku#7 (hearsay; the paper's value was not found)"),
}

# The CatVAE paper's own clustering numbers could not be retrieved (docs/originals.md 2.6): REPORT.md compares with the
# strongest peer of CLUSTERING_PEERS per data set, and the project's targets (InfoCatVAE >= 85 % on MNIST,
# >= 60 % on Fashion-MNIST).
CATVAE_REFERENCE = {
    "mnist": (0.9446, "VaDE, slim1017/VaDE README (peer; the CatVAE paper's tables were not retrievable)"),
    "fashion-mnist": (0.618, "DEC-keras results/exp1/results.csv (peer; the CatVAE paper's tables were not "
                             "retrievable)"),
}

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
