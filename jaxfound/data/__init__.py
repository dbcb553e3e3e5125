"""Data: loaders, description, cleaning, fit/transform pairs, splits and batching.

See the data guide (``docs/data/index.md``) for worked examples.
"""

from jaxfound.data._augment import random_translate
from jaxfound.data._batches import batches, num_examples
from jaxfound.data._clean import (
    OUTLIER_METHODS,
    DropReport,
    DuplicateReport,
    ImputeReport,
    MissingReport,
    OutlierReport,
    drop_duplicates,
    drop_missing,
    find_missing,
    find_outliers,
    impute,
    remove_outliers,
)
from jaxfound.data._columns import ColumnsState, columns, identity
from jaxfound.data._csv import MISSING_TOKENS, load_csv
from jaxfound.data._dataset import (
    SKLEARN_DATASETS,
    Dataset,
    from_arrays,
    from_table,
    load_sklearn,
)
from jaxfound.data._describe import ColumnSummary, Description, as_columns, describe
from jaxfound.data._digits import load_digits
from jaxfound.data._encode import LabelState, OneHotState, label_encoder, one_hot
from jaxfound.data._folds import (
    Fold,
    FoldMasks,
    fold_masks,
    folds_to_masks,
    kfold,
    stratified_kfold,
    time_series_split,
)
from jaxfound.data._idx import read_idx
from jaxfound.data._impute import IMPUTE_STRATEGIES, ImputeState, imputer
from jaxfound.data._load import load
from jaxfound.data._mnist import MNIST_FILES, load_mnist
from jaxfound.data._movielens import (
    MOVIELENS_100K_ITEMS,
    MOVIELENS_100K_USERS,
    Ratings,
    load_movielens_100k,
    read_movielens_ratings,
)
from jaxfound.data._npz import load_npz, save_npz
from jaxfound.data._poly import PolyState, polynomial
from jaxfound.data._scale import (
    MinMaxState,
    RobustState,
    StandardState,
    min_max,
    robust_scale,
    standardize,
)
from jaxfound.data._serialize import (
    load_state,
    register_state,
    save_state,
    state_from_bytes,
    state_to_bytes,
)
from jaxfound.data._split import split_indices, train_test_split, train_val_test_split
from jaxfound.data._text import read_text
from jaxfound.data._tokenizers import (
    CharVocab,
    Tokenizer,
    byte_tokenizer,
    char_tokenizer,
    fit_char_tokenizer,
    load_tokenizer,
    save_tokenizer,
)
from jaxfound.data._transform import Transform, fit_transform, pipeline
from jaxfound.data._windows import sample_windows, split_tokens

for _cls in (
    StandardState, MinMaxState, RobustState, LabelState, OneHotState, PolyState, ImputeState,
    ColumnsState,
):
    register_state(_cls)
del _cls

__all__ = [
    "MOVIELENS_100K_ITEMS",
    "MOVIELENS_100K_USERS",
    "Ratings",
    "load_movielens_100k",
    "read_movielens_ratings",
    "IMPUTE_STRATEGIES",
    "MISSING_TOKENS",
    "MNIST_FILES",
    "OUTLIER_METHODS",
    "SKLEARN_DATASETS",
    "ColumnsState",
    "ColumnSummary",
    "Dataset",
    "Description",
    "DropReport",
    "DuplicateReport",
    "Fold",
    "FoldMasks",
    "ImputeReport",
    "ImputeState",
    "LabelState",
    "MinMaxState",
    "MissingReport",
    "OneHotState",
    "OutlierReport",
    "PolyState",
    "RobustState",
    "StandardState",
    "Transform",
    "as_columns",
    "batches",
    "random_translate",
    "columns",
    "describe",
    "drop_duplicates",
    "drop_missing",
    "find_missing",
    "find_outliers",
    "fit_transform",
    "fold_masks",
    "folds_to_masks",
    "from_arrays",
    "from_table",
    "identity",
    "impute",
    "imputer",
    "kfold",
    "label_encoder",
    "load",
    "load_csv",
    "load_digits",
    "load_mnist",
    "load_npz",
    "load_sklearn",
    "load_state",
    "min_max",
    "num_examples",
    "one_hot",
    "pipeline",
    "polynomial",
    "read_idx",
    "register_state",
    "remove_outliers",
    "robust_scale",
    "save_npz",
    "save_state",
    "split_indices",
    "standardize",
    "state_from_bytes",
    "state_to_bytes",
    "stratified_kfold",
    "time_series_split",
    "train_test_split",
    "train_val_test_split",
    "CharVocab",
    "Tokenizer",
    "byte_tokenizer",
    "char_tokenizer",
    "fit_char_tokenizer",
    "load_tokenizer",
    "read_text",
    "sample_windows",
    "save_tokenizer",
    "split_tokens",
]
