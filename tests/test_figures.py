"""The figures as a reader sees them: every line the SEQ legend lists is drawn inside the y-range; no legend (SEQ
curves, label scatters) hides a point; a CatVAE cluster with no test image is called "empty", never by its
placeholder majority label."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection

import figures.catvae as catvae_figures
import figures.plots as plots
from figures.plots import class_names, plt, scatter_by_label
from figures.seq import accuracy_vs_clusters, accuracy_vs_clusters_figure
from models.encoders import DISPLAY
from reporting.references import SEQ_KS, SEQ_PAPER


# ----------------------------------------------------------------------------- SEQ: accuracy vs clusters
def _curve(first: float, last: float, softmax: float) -> dict:
    return {"ks": SEQ_KS, "acc": np.linspace(first, last, len(SEQ_KS)).tolist(), "softmax": softmax}


# The softmax lines lie far below the quantizer curves (a y-range taken from the curves alone hides them), and
# one flat curve runs along the bottom of the curves' range up to K = 120 (where a lower-right legend would sit).
CURVES = {
    "mnist": {"cae4": _curve(0.90, 0.99, 0.50), "lae4": _curve(0.88, 0.97, 0.52), "lae2": _curve(0.84, 0.85, 0.55)},
    "fashion-mnist": {"cae4": _curve(0.90, 0.96, 0.50), "lae4": _curve(0.80, 0.90, 0.60),
                      "lae2": _curve(0.74, 0.75, 0.45)},
}
PAPER = {"ks": SEQ_KS, **SEQ_PAPER}  # as main_encoder.py passes it


@pytest.fixture
def seq_figure():
    fig = accuracy_vs_clusters_figure(CURVES, PAPER, DISPLAY)
    fig.canvas.draw()  # lay out (constrained layout, legend placement) before reading positions
    yield fig
    plt.close(fig)


def _legend_artists(ax):
    """(label, artist) of every legend entry, checked to be the axes' own labelled artists."""
    legend = ax.get_legend()
    assert legend is not None and legend.get_visible()
    handles, labels = ax.get_legend_handles_labels()
    assert [t.get_text() for t in legend.get_texts()] == labels
    return list(zip(labels, handles))


def test_seq_every_legend_entry_is_drawn_within_the_y_range(seq_figure):
    axes = seq_figure.get_axes()
    assert len(axes) == 2
    for ax in axes:
        entries = _legend_artists(ax)
        assert len(entries) == 8  # 3 encoders x (curve, softmax line) + the paper's curve and softmax line
        low, high = ax.get_ylim()
        for label, artist in entries:
            assert artist in ax.lines and artist.get_visible(), label
            # an axhline's y data is its value (in data units); a curve's y data are all its points
            ys = np.asarray(artist.get_ydata(), dtype=float)
            assert ((ys >= low) & (ys <= high)).all(), (
                f"{ax.get_title()}: {label!r} ({ys.min():.1f}..{ys.max():.1f}) outside {low:.1f}..{high:.1f}")
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


def _display_points(artist, per_segment: int = 20) -> np.ndarray:
    """Points of a drawn line (its vertices and points between them) or of a scatter, in display (pixel) units."""
    if isinstance(artist, PathCollection):
        return artist.get_offset_transform().transform(np.asarray(artist.get_offsets(), dtype=float))
    xy = artist.get_transform().transform(np.column_stack([artist.get_xdata(), artist.get_ydata()]).astype(float))
    if len(xy) < 2:
        return xy
    t = np.linspace(0, 1, per_segment)[:, None, None]
    return ((1 - t) * xy[:-1] + t * xy[1:]).reshape(-1, 2)


def assert_legends_cover_no_data(fig) -> None:
    """No legend of ``fig`` lies over a point of any line or scatter of any of its axes (after a draw)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.get_axes():
        box = ax.get_legend().get_window_extent(renderer).padded(4)  # + about a marker's radius
        for other in fig.get_axes():  # neither its own panel's data nor a neighbour's
            for artist in [*other.lines, *other.collections]:
                pts = _display_points(artist)
                inside = (pts[:, 0] >= box.x0) & (pts[:, 0] <= box.x1) & (pts[:, 1] >= box.y0) & (pts[:, 1] <= box.y1)
                assert not inside.any(), f"the legend of {ax.get_title()!r} covers {artist.get_label()!r}"


def test_seq_legends_cover_no_data(seq_figure):
    assert_legends_cover_no_data(seq_figure)


def test_seq_accuracy_vs_clusters_writes_the_png(tmp_path):
    path = accuracy_vs_clusters(CURVES, PAPER, DISPLAY, tmp_path / "seq" / "accuracy_vs_clusters.png")
    assert path == tmp_path / "seq" / "accuracy_vs_clusters.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000


# ----------------------------------------------------------------------------- scatter plots (CatVAE, AAE)
def test_scatter_legend_covers_no_point_or_mark(monkeypatch, tmp_path):
    """Points everywhere in the plane, marks on a circle: wherever the legend sits inside the axes, it hides some."""
    drawn = []
    save = plots.save
    monkeypatch.setattr(plots, "save", lambda fig, path: (drawn.append(fig), save(fig, path))[1])
    rng = np.random.default_rng(0)
    points, labels = rng.uniform(-1, 1, size=(3000, 2)), rng.integers(0, 10, size=3000)
    angles = np.linspace(0, 2 * np.pi, 10, endpoint=False)
    marks = 0.95 * np.column_stack([np.cos(angles), np.sin(angles)])
    path = scatter_by_label(points, labels, class_names("fashion-mnist"), tmp_path / "scatter.png", "a scatter",
                            marks=marks, mark_label="marks")
    assert path.stat().st_size > 0 and len(drawn) == 1
    assert len(drawn[0].get_axes()[0].get_legend().get_texts()) == 11
    FigureCanvasAgg(drawn[0])  # saving closed the figure; give it a canvas to draw on again
    assert_legends_cover_no_data(drawn[0])


# ----------------------------------------------------------------------------- CatVAE: empty clusters
class FakeCatVAE:
    """What the CatVAE figures use of a model: the prior modes, the decoder, the variant's name, the latent size."""

    variant_name = "CatVAE"
    latent_dim = 3

    def __init__(self, k: int):
        self.prior_mu = torch.randn(k, self.latent_dim, generator=torch.Generator().manual_seed(0))

    def decode(self, z: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        assert len(c) == len(z)                     # every code is decoded with its cluster (decoder_cluster reads it)
        return torch.sigmoid(z.sum(1)).view(-1, 1, 1, 1).expand(-1, 1, 28, 28).clone()


# cluster 2 is empty: its majority label is a placeholder 0, which cluster 3 (non-empty) really has
MAJORITY, COUNTS, EMPTY, ZERO = [3, 1, 0, 0], [5, 7, 0, 2], 2, 3
ROW = re.compile(r"^cluster (\d+): (.+)$")          # samples_by_cluster, lambda_traversal
PATH = re.compile(r"c(\d+) \(([^)]*)\)")             # interpolation: "c1 (name) -> c2 (name)"


def _figure_row_labels(monkeypatch, tmp_path, dataset: str) -> dict[str, list[str]]:
    """The row labels each CatVAE figure function hands to the mosaic (and that the mosaic is drawn from them)."""
    seen = {}
    draw = catvae_figures.mosaic

    def capture(rows, path, title, row_labels=None, **kwargs):
        seen[path.stem] = row_labels
        assert len(row_labels) == len(rows)
        return draw(rows, path, title, row_labels=row_labels, **kwargs)

    monkeypatch.setattr(catvae_figures, "mosaic", capture)
    model, names = FakeCatVAE(len(MAJORITY)), class_names(dataset)
    written = [
        catvae_figures.samples_by_cluster(model, tmp_path / "samples_by_cluster.png", 4, MAJORITY, names, COUNTS),
        catvae_figures.interpolation(model, tmp_path / "interpolation.png", 5, MAJORITY, names, COUNTS),
        catvae_figures.lambda_traversal(model, tmp_path / "lambda_traversal.png", 2.0, 5, MAJORITY, names, COUNTS),
    ]
    assert all(p.stat().st_size > 0 for p in written)
    return seen


@pytest.mark.parametrize("dataset", ["mnist", "fashion-mnist"])
def test_catvae_figures_call_an_empty_cluster_empty(monkeypatch, tmp_path, dataset):
    names = class_names(dataset)
    labels = _figure_row_labels(monkeypatch, tmp_path, dataset)
    assert set(labels) == {"samples_by_cluster", "interpolation", "lambda_traversal"}
    for figure, rows in labels.items():
        pattern = PATH if figure == "interpolation" else ROW
        named = [m.groups() for row in rows for m in pattern.finditer(row)]
        assert {int(c) for c, _ in named} == set(range(len(MAJORITY))), (figure, rows)
        for c, name in named:
            if int(c) == EMPTY:
                assert name == "empty" and not any(n in name for n in names), (figure, rows)
            else:
                assert name == names[MAJORITY[int(c)]], (figure, rows)
    assert labels["samples_by_cluster"][-1] == f"cluster {EMPTY}: empty"  # empty clusters come last


def test_catvae_label_helpers_name_an_empty_cluster_empty():
    names = class_names("mnist")
    order = catvae_figures.cluster_order(MAJORITY, COUNTS)
    assert catvae_figures.cluster_name(EMPTY, MAJORITY, names, COUNTS) == "empty"
    assert catvae_figures.cluster_name(ZERO, MAJORITY, names, COUNTS) == "digit 0"
    assert catvae_figures.row_labels(order, MAJORITY, names, COUNTS)[-1] == f"cluster {EMPTY}: empty"
    assert f"c{EMPTY} (empty)" in " ".join(catvae_figures.path_labels(order, MAJORITY, names, COUNTS))


def test_probes_figure_marks_a_code_with_fewer_seeds_and_draws_one_bar_per_probe(tmp_path, monkeypatch):
    from figures.probes import PROBES, code_label, comparison

    assert code_label("SEQ CAE-4 features (supervised)", [0, 1, 2], [0, 1, 2]) == "SEQ CAE-4\nfeatures\n(supervised)"
    assert code_label("AAE style code z", [0], [0, 1, 2]).endswith("\n(seed 0)")
    assert code_label("AAE style code z", [0, 2], [0, 1, 2]).endswith("\n(seeds 0, 2)")
    row = {key: 0.5 for key, _ in PROBES}
    groups = {("mnist", "a"): [{**row, "seed": s} for s in (0, 1, 2)], ("mnist", "b"): [{**row, "seed": 0}],
              ("fashion-mnist", "a"): [{**row, "seed": 0}]}
    drawn = []
    monkeypatch.setattr(plots.plt, "close", lambda fig: drawn.append(fig))
    assert comparison(groups, tmp_path / "probes.png").is_file()
    left, right = drawn[0].axes
    assert [t.get_text() for t in left.get_xticklabels()] == ["a", "b\n(seed 0)"]
    assert [t.get_text() for t in right.get_xticklabels()] == ["a"]            # its only seed is the panel's most
    assert len(left.patches) == 2 * len(PROBES) and len(right.patches) == len(PROBES)
