"""Write src/mnistgan/metrics/test_to_train.safetensors: each MNIST test digit's nearest training digit.

    .venv/bin/python scripts/memorization_reference.py

For each of the 10,000 test digits, the L2 distance in pixel space (pixels in
[0, 1]) to the nearest of the 60,000 training digits, and that digit's index.
The memorization metric takes its threshold from these (see
mnistgan/metrics/reference.py). Shipped because the 10,000 x 60,000 search
takes minutes on a small CPU; the result depends only on MNIST.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from mnistgan.fileio import atomic_path  # noqa: E402
from mnistgan.metrics.reference import HELD_OUT, REFERENCE, TEST_TO_TRAIN, compute_test_to_train  # noqa: E402


def main() -> None:
    from safetensors.numpy import save_file

    start = time.perf_counter()
    distance, index = compute_test_to_train()
    with atomic_path(TEST_TO_TRAIN) as tmp:
        save_file({"distance": distance.astype(np.float64), "index": index.astype(np.int64)}, str(tmp),
                  metadata={"command": "python scripts/memorization_reference.py", "pixels": "[0, 1]", "metric": "L2"})
    os.chmod(TEST_TO_TRAIN, 0o644)  # temp files are created private; package data is world-readable
    print(f"wrote {TEST_TO_TRAIN} in {time.perf_counter() - start:.0f}s")
    print(f"threshold (min over test[5000:]): {distance[REFERENCE].min():.4f}; "
          f"held-out test[:5000] below it: {(distance[HELD_OUT] < distance[REFERENCE].min()).mean():.4f}; "
          f"percentiles 0/1/50 of all: {np.percentile(distance, [0, 1, 50]).round(4).tolist()}")


if __name__ == "__main__":
    main()
