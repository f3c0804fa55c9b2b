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
