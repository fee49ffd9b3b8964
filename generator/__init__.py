"""Source data generator: the landing zone of the e-commerce platform at any scale, with the
source system's real anomalies, dimension history and a manifest of what Silver must make of it.

``generate(GeneratorConfig(landing=...))`` is the API; ``lakehouse generate`` the command.
"""

from __future__ import annotations

from generator.config import ConfigError, GeneratorConfig
from generator.manifest import GENERATOR_VERSION
from generator.runner import generate

__all__ = ["GENERATOR_VERSION", "ConfigError", "GeneratorConfig", "generate"]
