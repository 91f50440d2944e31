"""gradflow.data: the digits split is fixed and standardized, and read exactly as scikit-learn reads it."""

from __future__ import annotations

import numpy as np
import pytest

from gradflow import data


def test_digits_split_is_standardized_and_fixed():
    d = data.digits()
    assert d.x_train.shape[1] == 64 and d.x_train.shape[0] + d.x_test.shape[0] == 1797
    np.testing.assert_allclose(d.x_train.mean(0), 0.0, atol=1e-4)
    np.testing.assert_array_equal(d.y_test, data.digits().y_test)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        data.digits(test_fraction=1.5)


def test_digits_file_read_directly_equals_scikit_learns_loader():
    from sklearn.datasets import load_digits

    x, y = data._load_digits()
    x_ref, y_ref = load_digits(return_X_y=True)
    np.testing.assert_array_equal(x, x_ref, err_msg="the digits images differ from sklearn's load_digits")
    np.testing.assert_array_equal(y, y_ref, err_msg="the digits labels differ from sklearn's load_digits")
