"""krocr's version, apart from the package's lazy front door so any module can name it."""

__version__ = "0.1.0"
