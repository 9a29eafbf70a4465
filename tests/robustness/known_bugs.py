"""Library bugs the robustness suite has found and not yet seen fixed.

Each entry is proven by a deterministic ``xfail(strict=True)`` test in
``test_robust_known_bugs.py`` (named ``test_known_bug_<name>``). The fuzz tests tolerate an
exception only if it matches an entry here: its type, a message pattern and the krocr
function it escaped from. Anything else that is not a ``KrocrError`` fails the fuzz test.

When a bug is fixed, its xfail test passes, which strict xfail turns into a failure: then
delete the ``xfail`` mark and the entry here, so the fuzzer stops tolerating it.
"""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass
from pathlib import Path

import krocr

KROCR_SOURCE = str(Path(krocr.__file__).resolve().parent)


@dataclass(frozen=True)
class KnownBug:
    name: str
    types: tuple[type[BaseException], ...]
    message: str  # regex, searched in str(exception)
    where: tuple[str | None, ...]  # "module.function" of the innermost krocr frame (None: no krocr frame)
    summary: str  # where the bug is and what goes wrong

    def matches(self, exc: BaseException) -> bool:
        return (isinstance(exc, self.types) and re.search(self.message, str(exc)) is not None
                and innermost_krocr_frame(exc) in self.where)


def innermost_krocr_frame(exc: BaseException) -> str | None:
    """``krocr.module.function`` of the deepest traceback frame inside the krocr package."""
    found = None
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        if str(Path(frame.f_code.co_filename).resolve()).startswith(KROCR_SOURCE):
            found = f"{frame.f_globals.get('__name__')}.{frame.f_code.co_name}"
    return found


KNOWN_BUGS: tuple[KnownBug, ...] = (
    KnownBug("json_parser_limits", (ValueError, RecursionError),
             r"Exceeds the limit \(\d+ digits\)|maximum recursion depth",
             ("krocr.importers.read_json", "krocr.charset.from_json", "krocr.cache.__init__"),
             "importers.read_json (and Charset.from_json, CacheReader meta) catch only JSONDecodeError; json.loads "
             "also raises ValueError (ints over 4300 digits) and RecursionError (deep nesting)"),
    KnownBug("float_overflow", (OverflowError,), r"int too large to convert to float|cannot convert float infinity",
             ("krocr.importers._floats", "krocr.importers.<listcomp>", "krocr.importers._int_or_none"),
             "importers._floats / _int_or_none catch TypeError and ValueError, not OverflowError (10**400, Infinity)"),
    KnownBug("via_region_attributes_not_a_dict", (TypeError,),
             r"indices must be integers|is not iterable|is not a container", ("krocr.importers._via_word",),
             "importers._via_word indexes region_attributes without checking that it is a dict"),
    KnownBug("file_name_too_long", (OSError,), r"File name too long",
             ("krocr.importers._check_image", "krocr.importers.read_label_file"),
             "Path.is_file() raises ENAMETOOLONG (not swallowed) in importers._check_image / read_label_file"),
    KnownBug("cache_meta_not_json", (ValueError,), r".", ("krocr.cache.__init__",),
             "cache.CacheReader.__init__ json.loads(meta) unguarded"),
    KnownBug("cache_negative_num_samples", (ValueError,), r"__len__\(\) should return >= 0",
             (None, "krocr.importers.read_lmdb"),  # raised by len() itself, after krocr's __len__ returned
             "cache.CacheReader accepts a negative num-samples; len() then raises ValueError"),
    KnownBug("cache_text_not_utf8", (UnicodeDecodeError,), r"codec can't decode",
             ("krocr.cache.raw", "krocr.cache._read_all", "krocr.cache.<listcomp>"),
             "cache.CacheReader.raw / labels / sources decode UTF-8 unguarded"),
    KnownBug("cache_empty_image_value", (Exception,), r"!buf\.empty\(\)", ("krocr.cache.decode_gray",),
             "cache.decode_gray passes b'' to cv2.imdecode (cv2.error)"),
    KnownBug("crop_nan_box", (ValueError,), r"cannot convert float NaN to integer", ("krocr.crops.warp_crop",),
             "crops.validate_box returns NaN corners (minAreaRect of huge finite points) without an issue; "
             "warp_crop then raises"),
    KnownBug("config_file_unreadable", (OSError,), r"Is a directory|Permission denied", ("krocr.config._file_layers",),
             "config._file_layers catches only FileNotFoundError around read_text (base: '' is a directory)"),
    KnownBug("config_preset_not_a_string", (TypeError,), r"unhashable type", ("krocr.augment.preset",),
             "config._Reader.build passes a non-string augment.preset to AugmentConfig.preset (TypeError)"),
    # proven in test_robust_config.py::test_yaml_values_that_cannot_be_built_are_config_errors
    KnownBug("config_yaml_construct_errors", (ValueError, RecursionError), r".",
             ("krocr.config._file_layers", "krocr.config._parse_override"),
             "config._file_layers / _parse_override catch only yaml.YAMLError"),
    KnownBug("weights_model_config_unchecked", (ValueError, TypeError, RuntimeError, OverflowError),
             r".", ("krocr.models.__init__", "krocr.models.act", "krocr.models.block"),
             "checkpoint.load_weights builds CRNN(config) from unchecked metadata (torch errors, huge allocations)"),
)


def known_bug(exc: BaseException) -> KnownBug | None:
    return next((bug for bug in KNOWN_BUGS if bug.matches(exc)), None)
