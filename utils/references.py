"""Numbers reported by the original papers and repositories, with where each one comes from.

Values are fractions in [0, 1]. ``source`` says how far each can be trusted (see ORIGINALS.md):
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

# Unsupervised clustering accuracy (Hungarian) of peer systems, ../shared/reference/PEERS_AND_STYLE.md section 2.
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

# AAE test error rates (fractions), ORIGINALS.md 3.9. Only MNIST(100) is confirmed (quoted in
# musyoku/adversarial-autoencoder#13); the others are recalled from the paper and unverified.
AAE_PAPER = {
    ("semi_supervised", "labels-100"): (0.0190, 0.0010, "paper Table 2, quoted in musyoku#13"),
    ("semi_supervised", "labels-1000"): (0.0160, 0.0008, "paper Table 2 (recalled, unverified)"),
    ("clustering", "clusters-16"): (0.0955, 0.0225, "paper Table 3 (recalled, unverified)"),
    ("clustering", "clusters-30"): (0.0410, 0.0113, "paper Table 3 (recalled, unverified)"),
}
