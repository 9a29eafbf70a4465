"""Synthetic training data: sign texts (:mod:`.text`), fonts and glyph coverage
(:mod:`.fonts`), the crop renderer (:mod:`.render`), whole scenes with ICDAR 2015 ground
truth (:mod:`.scenes`) and the ``krocr synth`` command (:mod:`.generate`)."""
