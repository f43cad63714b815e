"""The Kubernetes manifests: built as kustomize builds them (here in Python, and with
`kubectl kustomize` too where it is installed), every object validated offline against the
Kubernetes schemas, then held to what a production deployment needs."""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

K8S = Path(__file__).resolve().parents[2] / "infra" / "k8s"
BASE = K8S / "base"
OVERLAY = K8S / "overlays" / "example"
VERSIONS = ("1.29.0", "1.33.0")  # oldest and newest minor versions we deploy to
WORKLOADS = ("Deployment", "Job")


# A kustomize build of the features our kustomizations use.


def build(directory: Path) -> list[dict]:
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    objects: list[dict] = []
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        if path.is_dir():
            objects.extend(build(path))
        else:
            objects.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    for labels in kustomization.get("labels", []):
        assert labels.get("includeSelectors") is False, "selectors are written out in full"
        for obj in objects:
            obj["metadata"].setdefault("labels", {}).update(labels["pairs"])
    if "namespace" in kustomization:
        for obj in objects:
            if obj["kind"] != "Namespace":
                obj["metadata"]["namespace"] = kustomization["namespace"]
    for image in kustomization.get("images", []):
        for container in _containers_of(objects):
            if container["image"].split(":")[0] == image["name"]:
                container["image"] = f"{image.get('newName', image['name'])}:{image['newTag']}"
    for patch in kustomization.get("patches", []):
        target = patch["target"]
        for obj in objects:
            if obj["kind"] == target["kind"] and obj["metadata"]["name"] == target["name"]:
                for operation in yaml.safe_load(patch["patch"]):
                    _json_patch(obj, operation)
    return objects


def _json_patch(obj: dict, operation: dict) -> None:
    assert operation["op"] in ("replace", "add"), operation
    *parents, last = [part.replace("~1", "/") for part in operation["path"].split("/")[1:]]
    node = obj
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = operation["value"]
    else:
        node[last] = operation["value"]


def _containers_of(objects: list[dict]) -> list[dict]:
    return [
        container
        for obj in objects
        if obj["kind"] in WORKLOADS
        for container in obj["spec"]["template"]["spec"]["containers"]
    ]


def _one(objects: list[dict], kind: str, name: str) -> dict:
    (found,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


@pytest.fixture(scope="module")
def base() -> list[dict]:
    return build(BASE)


@pytest.fixture(scope="module")
def overlay() -> list[dict]:
    return build(OVERLAY)


# Schemas and the build.


@pytest.mark.parametrize("version", VERSIONS)
def test_every_object_is_valid_against_the_kubernetes_schemas(overlay, version):
    for obj in overlay:
        kubernetes_validate.validate(copy.deepcopy(obj), version, strict=True)


def test_every_yaml_file_is_part_of_the_build():
    listed = {
        (directory / entry).resolve()
        for directory in (BASE, OVERLAY)
        for entry in yaml.safe_load((directory / "kustomization.yaml").read_text())["resources"]
    }
    files = {path.resolve() for path in K8S.rglob("*.yaml") if path.name != "kustomization.yaml"}

    assert files <= listed


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize("directory", [BASE, OVERLAY], ids=["base", "overlay"])
def test_kubectl_kustomize_builds_the_same_objects(directory):
    built = subprocess.run(
        ["kubectl", "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout

    theirs = sorted(
        (doc for doc in yaml.safe_load_all(built) if doc), key=lambda o: (o["kind"], _name(o))
    )
    ours = sorted(build(directory), key=lambda o: (o["kind"], _name(o)))
    assert theirs == ours


def _name(obj: dict) -> str:
    return obj["metadata"]["name"]


# What production needs.


def test_every_pod_runs_as_a_non_root_user_on_a_read_only_root(overlay):
    for obj in (o for o in overlay if o["kind"] in WORKLOADS):
        pod = obj["spec"]["template"]["spec"]
        name = _name(obj)
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] == 10001, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            (tmp,) = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
            assert "emptyDir" in volumes[tmp["name"]], name
            for kind in ("requests", "limits"):
                assert set(container["resources"][kind]) == {"cpu", "memory"}, name
            assert container["image"] == "registry.example/comptoir:2026.11.1", name


def test_the_namespace_enforces_the_restricted_pod_security_standard(overlay):
    namespace = _one(overlay, "Namespace", "comptoir")

    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_web_is_probed_on_healthz_and_readyz(overlay):
    (web,) = _one(overlay, "Deployment", "comptoir-web")["spec"]["template"]["spec"]["containers"]

    assert web["command"][:3] == ["gunicorn", "--config", "infra/gunicorn.conf.py"]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    # /readyz waits up to about 2.5 s for its slowest check.
    assert web["readinessProbe"]["timeoutSeconds"] >= 3
    assert {"PROMETHEUS_MULTIPROC_DIR", "METRICS_PORT"} <= {e["name"] for e in web["env"]}


def test_beat_is_a_single_replica_that_is_never_doubled_in_a_rollout(overlay):
    beat = _one(overlay, "Deployment", "comptoir-beat")

    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    assert beat["spec"]["template"]["spec"]["containers"][0]["command"][2] == "beat"
    assert not [
        o
        for o in overlay
        if o["kind"] == "HorizontalPodAutoscaler"
        and o["spec"]["scaleTargetRef"]["name"] == "comptoir-beat"
    ]


def test_migrations_run_as_a_job_of_portal_migrate(overlay):
    job = _one(overlay, "Job", "comptoir-migrate")
    pod = job["spec"]["template"]["spec"]

    assert pod["containers"][0]["command"] == ["portal", "migrate"]
    assert pod["restartPolicy"] == "Never"


def test_selectors_pick_the_pods_they_are_meant_for(overlay):
    pods = {
        _name(o): o["spec"]["template"]["metadata"]["labels"]
        for o in overlay
        if o["kind"] == "Deployment"
    }

    def picked(selector: dict) -> set[str]:
        return {name for name, labels in pods.items() if selector.items() <= labels.items()}

    for deployment in (o for o in overlay if o["kind"] == "Deployment"):
        assert picked(deployment["spec"]["selector"]["matchLabels"]) == {_name(deployment)}
    assert picked(_one(overlay, "Service", "comptoir-web")["spec"]["selector"]) == {"comptoir-web"}
    budgets = [o for o in overlay if o["kind"] == "PodDisruptionBudget"]
    assert {frozenset(picked(b["spec"]["selector"]["matchLabels"])) for b in budgets} == {
        frozenset({"comptoir-web"}),
        frozenset({"comptoir-worker"}),
    }
    autoscaler = _one(overlay, "HorizontalPodAutoscaler", "comptoir-web")
    assert autoscaler["spec"]["scaleTargetRef"]["name"] in pods
    assert autoscaler["spec"]["minReplicas"] >= 2


def test_the_ingress_serves_the_public_host_and_every_firm_host(overlay):
    domain = _one(overlay, "ConfigMap", "comptoir-config")["data"]["BASE_DOMAIN"]
    ingress = _one(overlay, "Ingress", "comptoir-web")

    hosts = [rule["host"] for rule in ingress["spec"]["rules"]]
    assert hosts == [domain, f"*.{domain}"]
    assert ingress["spec"]["tls"][0]["hosts"] == hosts
    service = _one(overlay, "Service", "comptoir-web")
    for rule in ingress["spec"]["rules"]:
        backend = rule["http"]["paths"][0]["backend"]["service"]
        assert backend["name"] == _name(service)
        assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}


def test_every_workload_reads_the_config_map_and_the_secret_that_exist(overlay):
    config_maps = {_name(o) for o in overlay if o["kind"] == "ConfigMap"}
    secrets = {_name(o) for o in overlay if o["kind"] == "Secret"}

    for container in _containers_of(overlay):
        sources = container["envFrom"]
        assert {s["configMapRef"]["name"] for s in sources if "configMapRef" in s} <= config_maps
        assert {s["secretRef"]["name"] for s in sources if "secretRef" in s} <= secrets
        assert len(sources) == 2


def test_the_base_alone_carries_no_secret(base):
    assert not [o for o in base if o["kind"] == "Secret"]
