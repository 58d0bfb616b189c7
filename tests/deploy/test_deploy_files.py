"""The files in deploy/ hold together with the code they name.

No Docker daemon or cluster runs here, so the files are read as YAML, JSON and text: every
`OMS_` variable is a setting, every `oms` command a subcommand, the search-attribute jobs
register exactly the code's attributes, every image is pinned, no Kubernetes manifest holds a
secret, Prometheus scrapes what the compose file serves, and the dashboard names only metrics
that something exports.
"""

from __future__ import annotations

import argparse
import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from oms import cli
from oms.config import Settings
from oms.metrics import ALL
from oms.temporal import SEARCH_ATTRIBUTE_FLAGS

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "oms.json"

# Metrics the dashboard may name besides the OMS's own (oms/metrics.py), and where each is from.
TEMPORAL_METRICS = {
    # Temporal SDK (sdk-core), served by each worker on OMS_METRICS_PORT with the `temporal_`
    # prefix, durations in seconds (oms.temporal.metrics_runtime); docs.temporal.io/references/
    # sdk-metrics. Histograms are named here by the series a query reads.
    "temporal_workflow_task_schedule_to_start_latency_bucket": "SDK: workflow task wait",
    "temporal_activity_schedule_to_start_latency_bucket": "SDK: activity task wait",
    "temporal_worker_task_slots_available": "SDK gauge: free slots, label worker_type",
    # Temporal server (matching service), served on its PROMETHEUS_ENDPOINT; the server's
    # common/metrics/metric_defs.go. Labels namespace, taskqueue, task_type.
    "approximate_backlog_count": "server gauge: tasks waiting in a task queue",
}
# What the issue asks the dashboard to show: orders by status, SLA breaches, task-queue backlog
# and schedule-to-start latency, API p99.
DASHBOARD_MUST_SHOW = {
    "oms_orders_placed_total",
    "oms_orders_finished_total",
    "oms_order_status_seconds_bucket",
    "oms_task_sla_breaches_total",
    "approximate_backlog_count",
    "temporal_workflow_task_schedule_to_start_latency_bucket",
    "oms_http_request_seconds_bucket",
}
SECRET_NAME = re.compile(r"PASSWORD|PWD|SECRET|TOKEN|API_KEY|DATABASE_URL")
CREDENTIALS_IN_URL = re.compile(r"://[^/@\s:]+:([^@\s]+)@")
PINNED_TAG = re.compile(r"^v?\d+\.\d+(\.\d+)?([-.][\w.-]+)?$")


def _docs(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def _compose() -> dict[str, Any]:
    services: dict[str, Any] = _docs(DEPLOY / "compose.yaml")[0]["services"]
    return services


def _manifests() -> list[dict[str, Any]]:
    paths = sorted(set(K8S.glob("*.yaml")) - {K8S / "kustomization.yaml"})
    return [doc for path in paths for doc in _docs(path)]


def _containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc.get("spec", {})
    if doc["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    pod = spec.get("template", {}).get("spec", {})
    containers: list[dict[str, Any]] = pod.get("containers", [])
    return containers


def _all_containers() -> list[dict[str, Any]]:
    return [c for doc in _manifests() for c in _containers(doc)]


def _words(command: Any) -> list[str]:
    return [str(w) for w in command] if isinstance(command, list) else [str(command or "")]


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)
    elif node is not None:
        yield str(node)


def _config_map() -> dict[str, str]:
    (config,) = [doc for doc in _manifests() if doc["kind"] == "ConfigMap"]
    data: dict[str, str] = config["data"]
    return data


def _project_version() -> str:
    version: str = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    return version


class _ParserBuilt(Exception):
    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self.parser = parser


def _cli_subcommands(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """The subcommands of the parser `oms` builds, taken before it parses anything."""

    def capture(self: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        raise _ParserBuilt(self)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", capture)
    with pytest.raises(_ParserBuilt) as built:
        cli.main([])
    (subparsers,) = [
        a for a in built.value.parser._actions if isinstance(a, argparse._SubParsersAction)
    ]
    return set(subparsers.choices)


def test_every_file_parses() -> None:
    files = [*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")]
    assert len(files) >= 8
    for path in files:
        assert _docs(path), f"{path} holds no document"
    assert json.loads(DASHBOARD.read_text())["panels"]


def test_every_oms_variable_named_is_a_setting() -> None:
    named = {
        (name, path.relative_to(ROOT).as_posix())
        for path in DEPLOY.rglob("*")
        if path.is_file()
        for name in re.findall(r"\bOMS_[A-Z0-9_]+", path.read_text())
    }
    assert {"OMS_DATABASE_URL", "OMS_METRICS_PORT"} <= {name for name, _ in named}
    unknown = sorted(
        (name, where)
        for name, where in named
        if name.removeprefix("OMS_").lower() not in Settings.model_fields
    )
    assert not unknown, f"not settings of oms.config.Settings: {unknown}"


def test_every_oms_command_is_a_subcommand_of_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    commands = [_words(s.get("command")) for s in _compose().values()]
    commands += [_words(c.get("command")) + _words(c.get("args", [])) for c in _all_containers()]
    cmd = re.search(r"^CMD\s+(\[.*\])", (DEPLOY / "Dockerfile").read_text(), re.MULTILINE)
    assert cmd is not None
    commands.append(json.loads(cmd.group(1)))
    used = {words[1] for words in commands if len(words) > 1 and words[0] == "oms"}
    assert {"api", "worker", "migrate"} <= used
    missing = used - _cli_subcommands(monkeypatch)
    assert not missing, f"`oms` has no subcommand {sorted(missing)}"


def _registered(script: str) -> list[tuple[str, str]]:
    return re.findall(r"--name\s+(\S+)\s+--type\s+(\S+)", script)


def test_the_search_attribute_jobs_register_exactly_the_codes_attributes() -> None:
    scripts = {
        f"compose service {name}": "\n".join(_words(s.get("command")))
        for name, s in _compose().items()
        if "search-attribute create" in "\n".join(_words(s.get("command")))
    }
    scripts |= {
        f"k8s container {c['name']}": "\n".join(_words(c.get("command")) + _words(c.get("args")))
        for c in _all_containers()
        if "search-attribute create" in "\n".join(_words(c.get("args")))
    }
    assert len(scripts) == 2, f"one job in compose, one in k8s: {sorted(scripts)}"
    for where, script in scripts.items():
        pairs = _registered(script)
        assert len(pairs) == len(dict(pairs)), f"{where} names an attribute twice"
        assert dict(pairs) == SEARCH_ATTRIBUTE_FLAGS, f"{where} drifted from the code"


def test_the_setup_jobs_work_on_the_namespace_the_oms_uses() -> None:
    services = _compose()
    (job,) = [s for s in services.values() if "search-attribute" in str(s.get("command"))]
    oms_env = services["worker"]["environment"]
    assert job["environment"]["TEMPORAL_ADDRESS"] == oms_env["OMS_TEMPORAL_ADDRESS"]
    assert job["environment"]["TEMPORAL_NAMESPACE"] == oms_env["OMS_TEMPORAL_NAMESPACE"]
    (container,) = [c for c in _all_containers() if "search-attribute" in str(c.get("args"))]
    read = {
        var["name"]: var["valueFrom"]["configMapKeyRef"]["key"]
        for var in container["env"]
        if "configMapKeyRef" in var.get("valueFrom", {})
    }
    assert read == {
        "TEMPORAL_ADDRESS": "OMS_TEMPORAL_ADDRESS",
        "TEMPORAL_NAMESPACE": "OMS_TEMPORAL_NAMESPACE",
    }


def test_temporal_runs_on_postgresql_with_its_schema_set_up_by_a_one_shot_job() -> None:
    services = _compose()
    images = {name: s.get("image", "") for name, s in services.items()}
    assert not [i for i in images.values() if i.startswith("temporalio/auto-setup")]
    (server,) = [name for name, image in images.items() if image.startswith("temporalio/server:")]
    env = services[server]["environment"]
    assert env["DB"] == "postgres12"
    waits_for = [
        name
        for name, cond in services[server]["depends_on"].items()
        if cond["condition"] == "service_completed_successfully"
    ]
    (schema_job,) = waits_for
    assert images[schema_job].startswith("temporalio/admin-tools:")
    # The schema the tools set up is the one the server expects: same release.
    assert images[schema_job].split(":")[1] == images[server].split(":")[1]
    script = "\n".join(_words(services[schema_job]["command"]))
    steps = set(re.findall(r"--db (\w+) (create|setup-schema|update-schema)", script))
    dirs = {"temporal": "temporal/versioned", "temporal_visibility": "visibility/versioned"}
    for env_name in ("DBNAME", "VISIBILITY_DBNAME"):
        db = env[env_name]
        assert db in dirs, f"{env_name}={db}"
        assert {(db, "create"), (db, "setup-schema"), (db, "update-schema")} <= steps, db
        (update_dir,) = re.findall(rf"--db {db} update-schema -d (\S+)", script)
        assert update_dir.endswith(dirs[db])


def test_every_image_is_pinned_by_version() -> None:
    images = [s["image"] for s in _compose().values()]
    images += [c["image"] for c in _all_containers()]
    images += re.findall(r"^FROM\s+(\S+)", (DEPLOY / "Dockerfile").read_text(), re.MULTILINE)
    assert len(images) >= 10
    for image in images:
        name, _, tag = image.rpartition(":")
        assert name, f"{image} has no tag"
        assert PINNED_TAG.match(tag), f"{image} is not pinned to a version"
    oms_images = {i for i in images if i.rpartition(":")[0] == "oms"}
    assert oms_images == {f"oms:{_project_version()}"}, "the OMS image is the project's version"


def test_no_kubernetes_manifest_holds_a_secret_value() -> None:
    manifests = _manifests()
    assert not [doc for doc in manifests if doc["kind"] == "Secret"]
    for text in (s for doc in manifests for s in _strings(doc)):
        assert not CREDENTIALS_IN_URL.search(text), f"credentials in {text!r}"
    for container in _all_containers():
        for var in container.get("env", []):
            assert not ("value" in var and SECRET_NAME.search(var["name"])), var
        if container["image"].startswith("oms:"):
            assert {"name": "oms-secrets"} in [e.get("secretRef") for e in container["envFrom"]]


def test_compose_passwords_come_from_the_environment() -> None:
    checked = 0
    for service in _compose().values():
        for name, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(name) and not name.endswith("DATABASE_URL"):
                assert str(value).startswith("${"), f"{name} is a literal"
                checked += 1
            for password in CREDENTIALS_IN_URL.findall(str(value)):
                assert re.fullmatch(r"\$\{\w+(:-[^}]*)?\}", password), f"{name} has a literal"
                checked += 1
    assert checked >= 4


def test_prometheus_scrapes_the_api_the_workers_and_temporal() -> None:
    services = _compose()
    (prometheus,) = _docs(DEPLOY / "prometheus" / "prometheus.yml")
    scraped = set()
    for job in prometheus["scrape_configs"]:
        for static in job.get("static_configs", []):
            scraped |= {(t.rsplit(":", 1)[0], int(t.rsplit(":", 1)[1])) for t in static["targets"]}
        for dns in job.get("dns_sd_configs", []):
            scraped |= {(name, int(dns["port"])) for name in dns["names"]}
    api_port = services["api"]["environment"].get("OMS_API_PORT")
    expected = {
        ("api", int(api_port or Settings.model_fields["api_port"].default)),
        ("worker", int(services["worker"]["environment"]["OMS_METRICS_PORT"])),
        ("temporal", int(services["temporal"]["environment"]["PROMETHEUS_ENDPOINT"].split(":")[1])),
    }
    assert expected <= scraped
    assert {host for host, _ in scraped} <= set(services)


def _metric_names(expr: str) -> set[str]:
    """Series names in a PromQL expression: identifiers that are not functions, keywords,
    labels (inside braces or by/without/on/ignoring lists) or durations."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    keywords = {"bool", "offset", "and", "or", "unless", "inf", "nan"}
    return {
        m.group()
        for m in re.finditer(r"(?<![\w.$])[A-Za-z_:][\w:]*", expr)
        if not expr[m.end() :].lstrip().startswith("(") and m.group().lower() not in keywords
    }


def test_metric_names_are_read_from_promql() -> None:
    expr = 'histogram_quantile(0.99, sum by (le, route) (rate(a_bucket{code=~"5.."}[5m]))) / b'
    assert _metric_names(expr) == {"a_bucket", "b"}


def _panels() -> list[dict[str, Any]]:
    return [p for p in json.loads(DASHBOARD.read_text())["panels"] if p["type"] != "row"]


def test_the_dashboard_names_only_metrics_something_exports() -> None:
    exported = set(TEMPORAL_METRICS)
    for metric in ALL:
        suffixes = ("_bucket", "_sum", "_count") if metric.kind == "histogram" else ("",)
        exported |= {metric.name + suffix for suffix in suffixes}
    named = {name for p in _panels() for t in p["targets"] for name in _metric_names(t["expr"])}
    assert not named - exported, f"exported by nothing: {sorted(named - exported)}"
    assert DASHBOARD_MUST_SHOW <= named, f"missing panels for {DASHBOARD_MUST_SHOW - named}"


def test_grafana_loads_the_dashboard_from_the_provisioned_data_source() -> None:
    grafana = DEPLOY / "grafana" / "provisioning"
    (datasources,) = _docs(grafana / "datasources" / "prometheus.yaml")
    uids = {d["uid"] for d in datasources["datasources"]}
    assert {p["datasource"]["uid"] for p in _panels()} <= uids
    (providers,) = _docs(grafana / "dashboards" / "oms.yaml")
    mounts = dict(v.split(":")[:2] for v in _compose()["grafana"]["volumes"])
    assert mounts["./grafana/dashboards"] == providers["providers"][0]["options"]["path"]


def test_workers_scale_on_backlog_behind_probes_and_a_disruption_budget() -> None:
    manifests = _manifests()
    config = _config_map()
    (worker,) = [
        d
        for d in manifests
        if d["kind"] == "Deployment" and _words(_containers(d)[0]["command"]) == ["oms", "worker"]
    ]
    assert "replicas" not in worker["spec"], "KEDA owns the worker count"
    (container,) = _containers(worker)
    port = int({e["name"]: e["value"] for e in container["env"]}["OMS_METRICS_PORT"])
    named_ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    for probe in ("livenessProbe", "readinessProbe"):
        probe_port = container[probe]["httpGet"]["port"]
        assert named_ports.get(probe_port, probe_port) == port, probe
    labels = worker["spec"]["template"]["metadata"]["labels"]
    (budget,) = [
        d
        for d in manifests
        if d["kind"] == "PodDisruptionBudget"
        and d["spec"]["selector"]["matchLabels"].items() <= labels.items()
    ]
    (scaler,) = [d for d in manifests if d["kind"] == "ScaledObject"]
    assert scaler["spec"]["scaleTargetRef"]["name"] == worker["metadata"]["name"]
    assert scaler["spec"]["minReplicaCount"] > budget["spec"]["minAvailable"]
    (trigger,) = scaler["spec"]["triggers"]
    assert trigger["type"] == "temporal"
    meta = trigger["metadata"]
    assert meta["endpoint"] == config["OMS_TEMPORAL_ADDRESS"]
    assert meta["namespace"] == config["OMS_TEMPORAL_NAMESPACE"]
    assert meta["taskQueue"] == config["OMS_TASK_QUEUE"]
    assert int(meta["targetQueueSize"]) > 0
    assert not [
        d
        for d in manifests
        if d["kind"] == "HorizontalPodAutoscaler"
        and d["spec"]["scaleTargetRef"]["name"] == worker["metadata"]["name"]
    ], "a second autoscaler would fight KEDA's"


def test_kustomization_applies_every_manifest() -> None:
    (kustomization,) = _docs(K8S / "kustomization.yaml")
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files


def test_the_workers_and_the_api_get_the_payload_keys_from_a_secret() -> None:
    # Without keys they refuse to start (oms.payload_keys); no file here turns encryption off.
    (compose,) = _docs(DEPLOY / "compose.yaml")
    services = compose["services"]
    for name in ("worker", "api"):
        (secret,) = services[name]["secrets"]
        env = services[name]["environment"]
        assert env["OMS_PAYLOAD_KEYS_FILE"] == f"/run/secrets/{secret}", name
        assert compose["secrets"][secret] == {"environment": "OMS_PAYLOAD_KEYS"}
    kustomization = (K8S / "kustomization.yaml").read_text()
    assert re.search(r"--from-literal=OMS_PAYLOAD_KEYS=", kustomization)
    for container in _all_containers():
        if _words(container.get("command"))[-1] in ("worker", "api"):
            assert {"name": "oms-secrets"} in [e.get("secretRef") for e in container["envFrom"]]
    texts = [p.read_text() for p in DEPLOY.rglob("*") if p.is_file()]
    assert not [t for t in texts if re.search(r"OMS_PAYLOAD_ENCRYPTION|OMS_PAYLOAD_KEYS:", t)]
