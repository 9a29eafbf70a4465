"""Finding text in whole photos: a DBNet-style detector beside the recognizers (issue #29).

One concern per module; only :mod:`model`, :mod:`losses`, :mod:`weights`, :mod:`export` and
:mod:`dataset` import torch, so reading a photo through onnxruntime loads none of it.

* :mod:`~krocr.detection.config` — ``DetectorConfig`` and ``PostprocessConfig``: the model and its thresholds as data;
* :mod:`~krocr.detection.model` — ``DBNet``: LCNet-like backbone, FPN neck, differentiable-binarization head;
* :mod:`~krocr.detection.targets` — word polygons → shrink and threshold maps with their masks;
* :mod:`~krocr.detection.losses` — ``DBLoss``: balanced BCE (OHEM 3:1), L1 on thresholds, dice on the binary map;
* :mod:`~krocr.detection.postprocess` — probability map → scored 4-point polygons;
* :mod:`~krocr.detection.weights` — safetensors + metadata, as the recognizers' weights;
* :mod:`~krocr.detection.export` — ONNX export with dynamic height and width;
* :mod:`~krocr.detection.detector` — ``Detector``: an RGB photo → ``DetectedRegion`` list (torch or onnxruntime);
* :mod:`~krocr.detection.metrics` — ICDAR 2015 precision, recall and h-mean;
* :mod:`~krocr.detection.dataset` — ICDAR 2015 folders → augmented training crops and validation photos.

Training is :mod:`krocr.training.detector_system` and :mod:`krocr.training.detector_run`;
the command is ``krocr train-detector``. See docs/detection.md.
"""
