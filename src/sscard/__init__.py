"""sscard: social security / medical insurance card service platform."""

__version__ = "0.1.0"
