"""Classification metrics against hand-checked confusion matrices."""

from __future__ import annotations

import numpy as np

from rsrepro.metrics.classification import (
    confusion_matrix,
    mean_per_class_accuracy,
    overall_accuracy,
    per_class_accuracy,
)


def test_confusion_matrix_counts_true_rows_and_predicted_columns() -> None:
    y_true = [0, 0, 0, 1, 1, 2]
    y_pred = [0, 1, 0, 1, 1, 0]
    assert confusion_matrix(y_true, y_pred, 3).tolist() == [[2, 1, 0], [0, 2, 0], [1, 0, 0]]


def test_accuracies_by_hand() -> None:
    confusion = np.array([[2, 1, 0], [0, 2, 0], [1, 0, 0]])
    assert overall_accuracy(confusion) == 4 / 6
    assert per_class_accuracy(confusion).tolist() == [2 / 3, 1.0, 0.0]
    assert mean_per_class_accuracy(confusion) == (2 / 3 + 1 + 0) / 3
    assert mean_per_class_accuracy(confusion, classes=[0, 1]) == (2 / 3 + 1) / 2


def test_classes_without_test_images_are_left_out_of_the_mean() -> None:
    confusion = np.array([[3, 1], [0, 0]])
    assert np.isnan(per_class_accuracy(confusion)[1])
    assert mean_per_class_accuracy(confusion) == 0.75


def test_mean_and_sample_std_over_runs() -> None:
    from rsrepro.metrics.runs import mean_and_std

    assert mean_and_std([1.0, 3.0]) == (2.0, float(np.sqrt(2.0)))
    assert mean_and_std([5.0]) == (5.0, 0.0)
