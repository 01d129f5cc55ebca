"""vpdt: an open electronic office (văn phòng điện tử) for Vietnamese public agencies."""

__version__ = "0.1.0"
