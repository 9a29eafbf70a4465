"""The names of the files in a run directory that ``krocr train`` writes and the analysis reads.

A run directory (``runs/<name>/`` unless ``--run-dir``) holds::

    config.yaml  charset.json  environment.json  transfer.md  transfer.csv
    checkpoints/weights.000.ckpt …  best.ckpt  last.ckpt
    history.csv  validations.csv  loss.png  curves.png  summary.json
    logs/version_N/metrics.csv  tensorboard/
    best.safetensors  last.safetensors

The names shared between the training system and the analysis are kept here, so that
``krocr compare`` and ``krocr report`` name them without importing the training stack.
"""

CONFIG_FILE = "config.yaml"  # the run's experiment config, as resolved
CHARSET_FILE = "charset.json"  # the charset the run trains
HISTORY_FILE = "history.csv"  # one row per completed epoch
VALIDATIONS_FILE = "validations.csv"  # one row per validation, also within epochs
SUMMARY_FILE = "summary.json"  # written when a run finishes: best epoch, its metrics, early stopping
