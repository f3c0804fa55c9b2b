"""MNIST and Fashion-MNIST loading with strict validation.

    from data import load_dataset
    ds = load_dataset("mnist")          # searches $DATA_DIR (default: ./data)
    ds.x_train.shape, ds.y_train.dtype  # (60000, 28, 28) uint8, int64

Every problem with a file raises DataError with a one-line message naming the
file (and CSV row); DataNotFound (a DataError) means no copy was found at all.
Command line: ``python -m data mnist --data_dir DIR``.
"""

from .errors import DataError, DataNotFound
from .loader import DATASETS, Dataset, default_data_dir, load_dataset, load_mnist_sample

__all__ = [
    "DATASETS",
    "DataError",
    "DataNotFound",
    "Dataset",
    "default_data_dir",
    "load_dataset",
    "load_mnist_sample",
]
