"""Training recognizers with PyTorch Lightning, one concern per module.

* :mod:`~krocr.training.run` — :func:`~krocr.training.run.train`: a run from its config to
  ``best.safetensors``, and what it returns;
* :mod:`~krocr.training.system` — the LightningModule: focal CTC, Adam, validation metrics;
* :mod:`~krocr.training.datamodule` — the training and validation crops;
* :mod:`~krocr.training.samplers` — data order by (seed, epoch), curriculum, width batches;
* :mod:`~krocr.training.schedules` — learning-rate schedules;
* :mod:`~krocr.training.builders` — charset, model, pretrained weights and freezing, precision;
* :mod:`~krocr.training.checkpoints` — atomic checkpoints, RNG states, resume, export;
* :mod:`~krocr.training.callbacks` — the run's record files and training curves;
* :mod:`~krocr.training.environment` — ``environment.json``: what computed a run;
* :mod:`~krocr.training.progress` — log lines instead of a progress bar off a terminal.

The ``krocr train`` command is :mod:`krocr.commands.train`.
"""
