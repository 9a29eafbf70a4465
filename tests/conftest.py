"""Shared pytest fixtures."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")  # albumentations phones home otherwise


@pytest.fixture(scope="session")
def data_fixture(tmp_path_factory):
    """The rendered signboard dataset of tests/fixtures/make_fixture.py (built once)."""
    from fixtures.make_fixture import make_fixture

    return make_fixture(tmp_path_factory.mktemp("data_fixture"))
