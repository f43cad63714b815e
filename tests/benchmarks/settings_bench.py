"""The product's settings with the benchmark URLs on firm hosts: the same middleware, the same
API, plus a minimal DRF endpoint to measure the API against. Never used outside benchmarks."""

from saas.settings import *  # noqa: F403

ROOT_URLCONF = "tests.benchmarks.urls_bench"
